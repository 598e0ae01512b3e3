"""Clients, their billing addresses and their dated billing conditions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from prebill.core.grouping import LineMode, PaymentTerms
from prebill.core.labels import LINE_MODE_LABELS, VAT_REGIME_LABELS
from prebill.core.vat import VatRegime


class Nature(models.TextChoices):
    """What the client is for the e-invoicing reform: it gives the invoice's transaction category (the BAR note)."""

    AUTOMATIC = "", _("from its billing country")
    FRENCH_COMPANY = "french_company", _("French company")
    FOREIGN_COMPANY = "foreign_company", _("foreign company")
    CONSUMER = "consumer", _("consumer")
    OUT_OF_SCOPE = "out_of_scope", _("out of scope")


# The BT-22 content of the BAR note (XP Z12-012, BR-FR-20) for each nature.
TRANSACTION_CATEGORY = {Nature.FRENCH_COMPANY: "B2B", Nature.FOREIGN_COMPANY: "B2BINT", Nature.CONSUMER: "B2C",
                        Nature.OUT_OF_SCOPE: "OUTOFSCOPE"}


def nature_of(nature: str, *, country: str) -> Nature:
    """The client's nature as set, or else the usual one for its billing country: abroad a foreign company, in
    France a French company (without a SIREN the French rules refuse it as B2B, BR-FR-11: set its nature)."""
    if nature:
        return Nature(nature)
    return Nature.FOREIGN_COMPANY if (country or "FR").upper() != "FR" else Nature.FRENCH_COMPANY


class Client(models.Model):
    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    siren = models.CharField(max_length=9, blank=True)
    siret = models.CharField(max_length=14, blank=True)
    vat_number = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    nature = models.CharField(
        max_length=20, blank=True, default="", db_default="", choices=Nature.choices,
        help_text="French company (B2B), foreign company (B2BINT), consumer (B2C) or out of scope of the "
                  "e-invoicing reform; empty: from its billing country.")
    directory_address = models.CharField(
        max_length=125, blank=True, default="", db_default="",
        help_text="Where the client receives its e-invoices, as the directory of the e-invoicing reform gives it "
                  "(looked up by SIREN through the firm's platform); empty: its SIREN.")
    directory_checked_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    training_billing = models.CharField(
        max_length=12, blank=True, default="", db_default="",
        choices=[("", _("as the firm's default")), ("none", _("no automatic invoicing")),
                 ("pair", _("one invoice per funder and sponsor")), ("consolidated", _("one invoice per funder"))],
        help_text="How sessions this client funds are invoiced; empty: the firm's default.")

    def __str__(self):
        return f"{self.code} {self.name}"


class BillingAddress(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="addresses")
    code = models.CharField(max_length=30, default="main")
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="FR")
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "billing addresses"
        constraints = [models.UniqueConstraint(fields=["client", "code"], name="address_code_unique_per_client")]

    def __str__(self):
        return f"{self.line1}, {self.postcode} {self.city}"


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("bank transfer")
    DIRECT_DEBIT = "direct_debit", _("direct debit")
    CHEQUE = "cheque", _("cheque")
    CARD = "card", _("card")


class DatedConditions(models.Model):
    """A row of billing conditions, in force from `applies_from` until the next row's date."""

    applies_from = models.DateField()
    vat_regime = models.CharField(max_length=20, choices=[(r.value, _(VAT_REGIME_LABELS[r])) for r in VatRegime],
                                  default="standard")
    payment_terms_days = models.PositiveSmallIntegerField(default=30)
    end_of_month = models.BooleanField(default=False, help_text="Due at the end of the month after the days.")
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER)
    line_mode = models.CharField(max_length=30, choices=[(m.value, _(LINE_MODE_LABELS[m])) for m in LineMode], default="detailed")

    class Meta:
        abstract = True

    @property
    def payment_terms(self) -> PaymentTerms:
        return PaymentTerms(self.payment_terms_days, self.end_of_month)


class BillingConditions(DatedConditions):
    """Conditions in force for a client from `applies_from` until the next row's date."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="billing_conditions")
    currency = models.CharField(max_length=3, default="EUR")

    class Meta:
        verbose_name_plural = "billing conditions"
        ordering = ["client", "applies_from"]
        constraints = [
            models.UniqueConstraint(fields=["client", "applies_from"], name="one_conditions_row_per_date"),
        ]

    def __str__(self):
        return f"{self.client.code} from {self.applies_from}"

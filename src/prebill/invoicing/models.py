"""Numbered, immutable invoices and credit notes: snapshots of what was billed, item by item."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prebill.core.lifecycle import STATE_LABELS, InvoiceState

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}


class SeriesCounter(models.Model):
    """The last number given in a series (and year): locked by each validation, never a max() + 1."""

    series = models.ForeignKey("organisation.InvoiceSeries", on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField(help_text="0 when the series does not restart each year")
    last_number = models.PositiveIntegerField(default=0)
    last_issue_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="one_counter_per_series_year")]

    def __str__(self):
        return f"{self.series} {self.year or ''} #{self.last_number}"


class Invoice(models.Model):
    """A validated invoice or credit note. Its content never changes: only its state moves on."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    series = models.ForeignKey("organisation.InvoiceSeries", on_delete=models.PROTECT)
    sequence = models.PositiveIntegerField()
    sequence_year = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=35, unique=True)
    issue_date = models.DateField()
    due_date = models.DateField()
    state = models.CharField(max_length=12, choices=[(s.value, _(STATE_LABELS[s])) for s in InvoiceState],
                             default=InvoiceState.VALIDATED)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="invoices")
    credited_invoice = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="credit_notes")
    period = models.DateField()
    # Snapshot of the parties, as they were at validation.
    seller_name = models.CharField(max_length=200)
    seller_siren = models.CharField(max_length=9)
    seller_vat_number = models.CharField(max_length=20, blank=True)
    seller_address = models.TextField()
    seller_legal_form = models.CharField(max_length=50, blank=True, default="")
    seller_iban = models.CharField(max_length=34, blank=True, default="")
    seller_bic = models.CharField(max_length=11, blank=True, default="")
    seller_logo = models.BinaryField(blank=True, default=b"", help_text="The logo printed on its documents.")
    seller_logo_type = models.CharField(max_length=20, blank=True, default="", help_text="image/png or image/jpeg")
    seller_share_capital = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    seller_rcs_city = models.CharField(max_length=100, blank=True, default="")
    seller_vat_on_debits = models.BooleanField(default=False)
    buyer_code = models.CharField(max_length=30)
    buyer_name = models.CharField(max_length=200)
    buyer_siren = models.CharField(max_length=9, blank=True)
    buyer_vat_number = models.CharField(max_length=20, blank=True)
    buyer_address = models.TextField()
    # The e-invoicing data of the buyer: the transaction category of the BAR note (B2B, B2BINT, B2C, OUTOFSCOPE;
    # empty on invoices of before it) and its electronic address BT-49 with its scheme (0225 SIREN-based, EM).
    buyer_category = models.CharField(max_length=12, blank=True, default="")
    buyer_endpoint_scheme = models.CharField(max_length=4, blank=True, default="")
    buyer_endpoint = models.CharField(max_length=125, blank=True, default="")
    currency = models.CharField(max_length=3)
    # An invoice in another currency than the euro: the rate of its date, in euros for one unit of its currency
    # (1 CHF = 1.070000 EUR is 1.070000; see prebill.core.receipts), and its VAT in euros (BT-6 EUR, BT-111: the
    # VAT of each rate converted, then summed). Both empty in euros.
    exchange_rate = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    total_vat_eur = models.DecimalField(null=True, blank=True, **MONEY)
    vat_regime = models.CharField(max_length=20)
    # The exemption, reverse-charge or export wording printed, as in force on the issue date (the firm's own or the
    # built-in one, prebill.core.legal); empty under standard VAT, and on invoices of before it was kept (their
    # documents print the built-in wording of their date, the only one there was).
    exemption_wording = models.CharField(max_length=1000, blank=True, default="", db_default="")
    payment_terms_days = models.PositiveSmallIntegerField()
    end_of_month = models.BooleanField()
    payment_method = models.CharField(max_length=20)
    total_excluding_vat = models.DecimalField(**MONEY)
    total_vat = models.DecimalField(**MONEY)
    total_including_vat = models.DecimalField(**MONEY)
    validated_at = models.DateTimeField()
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "sequence_year", "sequence"], name="one_number_per_sequence"),
        ]
        # The invoices list's order, newest first: read from the index, not sorted over the whole table.
        indexes = [models.Index(fields=["-issue_date", "-number"], name="invoices_newest_first")]

    def __str__(self):
        return self.number

    @property
    def state_label(self) -> str:
        """The state as the user reads it, in the active language."""
        return gettext(STATE_LABELS[InvoiceState(self.state)])


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    article_code = models.CharField(max_length=61)
    revenue_account = models.CharField(max_length=20)
    designation = models.CharField(max_length=500)
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20)
    unit_price = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    service_start = models.DateField(null=True)
    service_end = models.DateField(null=True)

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self):
        return self.designation


class InvoiceLineItem(models.Model):
    """How much of a billable item a line bills (or, on a credit note, credits)."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="item_shares")
    item = models.ForeignKey("billing.BillableItem", on_delete=models.PROTECT, related_name="invoice_shares")
    quantity = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)

    def __str__(self):
        return f"{self.item_id} x {self.quantity}"


class InvoiceVat(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="vat_lines")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    base = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)
    # The EN 16931 VAT category of the group when it is not the one the invoice's regime gives ('' : derived from
    # the regime, as before): "E" is the group of its débours (prebill.core.vat.DISBURSEMENT_CATEGORY).
    category = models.CharField(max_length=2, blank=True, default="", db_default="")

    class Meta:
        ordering = ["invoice", "rate", "category"]

    def __str__(self):
        return f"{self.rate} %{f' {self.category}' if self.category else ''}"

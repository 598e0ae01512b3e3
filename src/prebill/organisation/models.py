"""The firm that issues the invoices, and its settings for pre-billing."""

from datetime import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prebill.core.legal import EXEMPTION_WORDING, REGIME_NAMES, LegalRefusal, check_payment_terms_agreement
from prebill.core.month_schedule import DAYS, LAST_DAY, MonthPrepared, MonthScheduleError, check_day


def validate_preparation_day(day: int) -> None:
    try:
        check_day(day)
    except MonthScheduleError as refused:
        raise ValidationError(refused.translated(gettext), code="preparation_day") from None


class Organisation(models.Model):
    """The issuing firm. One row; its identity is copied onto every invoice."""

    legal_name = models.CharField(max_length=200)
    legal_form = models.CharField(max_length=50, blank=True)
    siren = models.CharField(max_length=9)
    vat_number = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="FR")
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    hours_per_day = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("7.00"))
    bill_only_approved_time = models.BooleanField(default=False)
    time_rounding_minutes = models.PositiveSmallIntegerField(
        default=0, help_text="Round each time entry up to this many minutes (0: no rounding)."
    )
    post_on_validation = models.BooleanField(default=False, help_text="Validating an invoice also posts it.")
    review_time_edits = models.BooleanField(
        default=True, help_text="Reviewers may change a time entry's billing (never the entry itself).")
    delivery_notes = models.BooleanField(default=False, help_text="The review shows delivery notes to bill.")
    training_billing = models.CharField(
        max_length=12, default="pair", choices=[("none", _("no automatic invoicing")),
                                                ("pair", _("one invoice per funder and sponsor")),
                                                ("consolidated", _("one invoice per funder"))],
        help_text="How funded training sessions are invoiced, unless a client says otherwise.")
    logo = models.BinaryField(blank=True, default=b"", help_text="PNG or JPEG printed on the documents' header.")
    expense_article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", help_text="Article of rebilled expenses.")
    purchase_article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", help_text="Article of rebilled purchases.")
    overtime_article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", help_text="Article of overtime.")
    customer_account = models.CharField(max_length=20, default="411000")
    vat_account = models.CharField(max_length=20, default="445710")
    sales_journal = models.CharField(max_length=10, default="VE")
    # The month prepared by itself (prebill.billing.schedule, on the firm's clock: settings.TIME_ZONE). On for a
    # new firm; a firm of before this setting keeps preparing by hand until it switches it on (migration 0007).
    auto_prepare = models.BooleanField(
        _("prepare the month automatically"), default=True,
        help_text=_("The scheduler runs the month's pre-billing at the day and time below (prebill serve starts "
                    "it; with several servers, one prebill beat process)."))
    auto_prepare_day = models.PositiveSmallIntegerField(
        _("day of the month"), default=25, validators=[validate_preparation_day],
        choices=[(day, _("last day of the month") if day == LAST_DAY else str(day)) for day in DAYS])
    auto_prepare_time = models.TimeField(_("time of day"), default=time(2, 0), help_text=_("On the firm's clock."))
    auto_prepare_month = models.CharField(
        _("month prepared"), max_length=8, default=MonthPrepared.CURRENT.value,
        choices=[(MonthPrepared.CURRENT.value, _("the month of that day")),
                 (MonthPrepared.PREVIOUS.value, _("the month before (a day after month end)"))])
    last_auto_prepared_at = models.DateTimeField(_("last automatic preparation"), null=True, blank=True,
                                                 editable=False)
    last_auto_prepared_period = models.DateField(_("month it prepared"), null=True, blank=True, editable=False)
    draft_training_on_done = models.BooleanField(
        _("draft training sessions when marked done"), default=True,
        help_text=_("Off: a session marked done is charged, and its drafts come with the month's next run."))
    # Mandatory mentions of a company's documents (Code de commerce R123-237), printed and written as the REG and
    # ABL notes of the Factur-X / UBL XML; copied onto each invoice at validation.
    share_capital = models.DecimalField(
        _("share capital"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Printed with the legal form: \"SAS au capital de 10 000 €\"."))
    rcs_city = models.CharField(_("RCS city"), max_length=100, blank=True,
                                help_text=_("The city of the trade register (RCS) the firm is registered at."))
    vat_on_debits = models.BooleanField(
        _("VAT on debits"), default=False,
        help_text=_("The firm opted to pay VAT on its services when invoiced rather than when paid: the invoices "
                    "say \"Option pour le paiement de la taxe d'après les débits\"."))
    # Code de commerce L441-10: payment terms beyond 60 days (45 days end of month) only under a sector agreement.
    payment_terms_agreement = models.CharField(
        _("sector agreement on payment terms"), max_length=200, blank=True, default="", db_default="",
        help_text=_("The reference of the sector agreement that allows payment terms beyond the legal cap of 60 "
                    "days (45 days end of month); empty: the legal cap applies."))
    payment_terms_agreement_days = models.PositiveSmallIntegerField(
        _("days the agreement allows"), null=True, blank=True,
        help_text=_("The longest payment terms, in days, the sector agreement allows."))
    # E-reporting (CGI art. 290): the sales that are not e-invoices and the money received for services, reported
    # through the firm's platform at the frequency of its VAT return regime (prebill.core.ereporting).
    vat_return_regime = models.CharField(
        _("VAT return regime"), max_length=12, default="normal", db_default="normal",
        choices=[("normal", _("normal (réel normal)")), ("simplified", _("simplified (réel simplifié)")),
                 ("franchise", _("VAT franchise (franchise en base)"))],
        help_text=_("Gives the e-reporting frequency: every ten days, every month, or every two months."))
    e_reporting_from = models.DateField(
        _("e-reporting from"), null=True, blank=True,
        help_text=_("The first day the firm reports its sales to consumers and abroad, and its payments, through "
                    "its platform (2026-09-01 for large and mid-size companies, 2027-09-01 for the others); empty: "
                    "not yet."))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_prepare_day__gte=1, auto_prepare_day__lte=28) | Q(auto_prepare_day=LAST_DAY),
                name="auto_prepare_day_1_to_28_or_last"),
            models.CheckConstraint(condition=Q(auto_prepare_month__in=[m.value for m in MonthPrepared]),
                                   name="auto_prepare_month_known"),
        ]

    def __str__(self):
        return self.legal_name

    def clean(self):
        super().clean()
        try:
            check_payment_terms_agreement(self.payment_terms_agreement, self.payment_terms_agreement_days)
        except LegalRefusal as refused:
            raise ValidationError({refused.where: refused.translated(gettext)}, code="payment_terms_agreement") \
                from None


class LegalWording(models.Model):
    """The firm's own exemption, reverse-charge or export wording, in force from a date (the CIBS wording once the
    firm has confirmed its article on Légifrance). It wins over the built-in wording (prebill.core.legal) on the
    invoices issued from that date; an issued invoice keeps the text it was issued with."""

    regime = models.CharField(_("VAT regime"), max_length=20,
                              choices=[(regime.value, _(REGIME_NAMES[regime])) for regime in EXEMPTION_WORDING])
    valid_from = models.DateField(_("in force from"))
    text = models.CharField(_("wording"), max_length=1000,
                            help_text=_("As printed on the invoices, with its CIBS article."))

    class Meta:
        ordering = ["regime", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["regime", "valid_from"], name="one_wording_per_regime_and_day"),
                       models.CheckConstraint(condition=~Q(text=""), name="legal_wording_not_empty")]

    def __str__(self):
        return f"{self.regime} {self.valid_from}"

    def clean(self):
        super().clean()
        if not (self.text or "").strip():
            raise ValidationError({"text": gettext("Enter the wording as the invoices must print it.")})


class InvoiceSeries(models.Model):
    """A numbering series: e.g. prefix F{year}- and 6 digits gives F2026-000123."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoices")
        CREDIT_NOTE = "credit_note", _("credit notes")
        BOTH = "both", _("invoices and credit notes")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="series")
    code = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BOTH)
    prefix = models.CharField(max_length=30, default="F{year}-")
    digits = models.PositiveSmallIntegerField(default=6)
    is_default = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "invoice series"

    def __str__(self):
        return self.code

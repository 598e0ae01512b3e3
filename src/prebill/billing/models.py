"""Billable items (one per billable fact), pre-invoices built from them, and billing runs."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prebill.clients.models import PaymentMethod
from prebill.core.grouping import ItemKind, LineMode, TrainingOption
from prebill.core.labels import DECISION_LABELS, ITEM_KIND_LABELS, LINE_MODE_LABELS, TRAINING_OPTION_LABELS, VAT_REGIME_LABELS
from prebill.core.review import Decision
from prebill.core.vat import VatRegime

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 14, "decimal_places": 4}


# What an item owes, in SQL (core.ledger.owed_quantity): the reviewer's quantity, unless its source owes nothing.
OWED_QUANTITY = models.Case(
    models.When(quantity=0, then=models.Value(Decimal(0))),
    default=Coalesce(models.F("adjusted_quantity"), models.F("quantity")),
    output_field=models.DecimalField(max_digits=14, decimal_places=4))


class BillableItem(models.Model):
    """One billable fact, linked to its source; the review decision lives here and survives rebuilds."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to bill")
        BILLED = "billed", _("billed")

    kind = models.CharField(max_length=20, choices=[(k.value, _(ITEM_KIND_LABELS[k])) for k in ItemKind])
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="billable_items")
    engagement = models.ForeignKey("engagements.Engagement", on_delete=models.PROTECT, related_name="billable_items")
    part = models.ForeignKey("engagements.EngagementPart", on_delete=models.PROTECT, null=True, blank=True)
    installment = models.OneToOneField(
        "engagements.Installment", on_delete=models.PROTECT, null=True, blank=True, related_name="billable_item"
    )
    time_entry = models.OneToOneField(
        "activity.TimeEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="billable_item"
    )
    unit_metric = models.OneToOneField(
        "activity.UnitMetric", on_delete=models.PROTECT, null=True, blank=True, related_name="billable_item"
    )
    manual_element = models.OneToOneField(
        "activity.ManualElement", on_delete=models.PROTECT, null=True, blank=True, related_name="billable_item"
    )
    expense = models.OneToOneField("costs.Expense", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="billable_item")
    purchase = models.OneToOneField("costs.Purchase", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="billable_item")
    overtime = models.OneToOneField("costs.Overtime", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="billable_item")
    training_charge = models.OneToOneField("training.TrainingCharge", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="billable_item")
    # How a clerk grouped a rebillable cost: onto this installment's fixed-fee invoice, or with the
    # collaborator's other costs on one invoice. A training charge: which training draft it goes on.
    joins_installment = models.ForeignKey("engagements.Installment", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="joined_costs")
    grouped_by_collaborator = models.BooleanField(default=False, db_default=False)
    training_option = models.CharField(max_length=15, blank=True, default="", db_default="",
                                       choices=[(o.value, _(TRAINING_OPTION_LABELS[o])) for o in TrainingOption])
    vat_exempt = models.BooleanField(default=False, db_default=False, help_text="Exempt training: its own document.")
    collaborator = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, null=True, blank=True)
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    article_rule = models.ForeignKey("catalogue.ArticleRule", on_delete=models.SET_NULL, null=True, blank=True)
    period = models.DateField(help_text="First day of the month whose run bills this item.")
    service_date = models.DateField()
    invoice_date = models.DateField()
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20)
    unit_price = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    designation = models.CharField(max_length=500)
    decision = models.CharField(
        max_length=20, choices=[(d.value, _(DECISION_LABELS[d])) for d in Decision], default=Decision.BILL_NOW
    )
    postponed_to = models.DateField(null=True, blank=True)
    # Set by a reviewer in the periodic billing wizard; the time entry itself never changes.
    review_task = models.ForeignKey("engagements.Task", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    review_activity = models.CharField(max_length=50, blank=True, default="", db_default="")
    review_domain = models.CharField(max_length=50, blank=True, default="", db_default="")
    review_article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    adjusted_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    adjusted_amount = models.DecimalField(**MONEY, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The ledger: what invoices billed net of credit notes, and what credits wrote off for good.
    billed_quantity = models.DecimalField(**QUANTITY, default=0, db_default=0)
    written_off_quantity = models.DecimalField(**QUANTITY, default=0, db_default=0)
    pre_invoice_line = models.ForeignKey(
        "PreInvoiceLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["period", "status", "decision"], name="item_period_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(installment__isnull=False) | models.Q(time_entry__isnull=False)
                | models.Q(unit_metric__isnull=False) | models.Q(manual_element__isnull=False)
                | models.Q(expense__isnull=False) | models.Q(purchase__isnull=False) | models.Q(overtime__isnull=False)
                | models.Q(training_charge__isnull=False),
                name="item_has_a_source",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.designation} {self.amount}"

    @property
    def grouping(self) -> str:
        """How a clerk grouped a cost, as the API and the command line show it."""
        if self.joins_installment_id:
            return f"installment:{self.joins_installment_id}"
        return "collaborator" if self.grouped_by_collaborator else ""


class PreInvoice(models.Model):
    """A draft invoice, derived from items and kept in step with them, unless it is a copy typed by hand,
    a processed pro forma or a confirmed review (runs leave those alone).

    Its identity is (period, client, document key): the key says what it groups (an installment, the
    client's time, an engagement...), never the billing terms, so a draft keeps its id while it exists.
    `version` goes up at each change of what it bills; validation refuses a version the user did not see."""

    class Source(models.TextChoices):
        RUN = "run", _("the month's run")
        COPY = "copy", _("a copy")
        PRO_FORMA = "pro_forma", _("a pro forma")
        REVIEW = "review", _("a review")  # confirmed in the periodic billing wizard

    period = models.DateField()
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="pre_invoices")
    invoice_date = models.DateField()
    billing_address = models.ForeignKey("clients.BillingAddress", on_delete=models.PROTECT, null=True)
    currency = models.CharField(max_length=3)
    vat_regime = models.CharField(max_length=20, choices=[(r.value, _(VAT_REGIME_LABELS[r])) for r in VatRegime])
    payment_terms_days = models.PositiveSmallIntegerField()
    end_of_month = models.BooleanField()
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    line_mode = models.CharField(max_length=30, choices=[(m.value, _(LINE_MODE_LABELS[m])) for m in LineMode])
    document_key = models.CharField(max_length=300, help_text="What it groups (not its terms).")
    grouping_reason = models.CharField(max_length=300)
    version = models.PositiveIntegerField(default=1, db_default=1)
    content_hash = models.CharField(max_length=64, blank=True, default="", db_default="",
                                    help_text="Digest of what it bills: terms, lines and their items.")
    last_change = models.CharField(max_length=500, blank=True, default="", db_default="",
                                   help_text="What its last update changed, in the clerk's words.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.RUN, db_default=Source.RUN)
    copied_from = models.CharField(max_length=100, blank=True, default="", db_default="",
                                   help_text="What a copy or a processed pro forma comes from.")
    total_excluding_vat = models.DecimalField(**MONEY)
    total_vat = models.DecimalField(**MONEY)
    total_including_vat = models.DecimalField(**MONEY)
    run = models.ForeignKey("BillingRun", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "client", "document_key"], name="one_pre_invoice_per_document"),
        ]
        permissions = [("special_actions", "May reorder lines and type designations on pre-invoices")]

    def __str__(self):
        return f"{self.client.code} {self.invoice_date} {self.total_excluding_vat}"

    @property
    def is_copy(self) -> bool:
        """Typed by hand: its lines bill no billable item."""
        return self.source == self.Source.COPY


class PreInvoiceLine(models.Model):
    pre_invoice = models.ForeignKey(PreInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=[(k.value, _(ITEM_KIND_LABELS[k])) for k in ItemKind])
    line_key = models.CharField(max_length=200)
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    designation = models.CharField(max_length=500)
    designation_override = models.CharField(max_length=500, blank=True, help_text="Typed by a user; kept by rebuilds.")
    manual_position = models.PositiveIntegerField(null=True, blank=True, help_text="Set by a user; kept by rebuilds.")
    quantity = models.DecimalField(**QUANTITY)
    unit = models.CharField(max_length=20)
    unit_price = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    service_start = models.DateField(null=True)
    service_end = models.DateField(null=True)

    class Meta:
        ordering = ["pre_invoice", "position"]

    def __str__(self):
        return self.designation_override or self.designation


class PreInvoiceVat(models.Model):
    """The VAT breakdown of a pre-invoice: one row per rate."""

    pre_invoice = models.ForeignKey(PreInvoice, on_delete=models.CASCADE, related_name="vat_lines")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    base = models.DecimalField(**MONEY)
    vat = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["pre_invoice", "rate"]

    def __str__(self):
        return f"{self.rate} %: {self.base} + {self.vat}"


class RemovedDraft(models.Model):
    """A draft that no longer exists, and why: its old id (bookmarks, API clients, exports) still answers."""

    class Why(models.TextChoices):
        VALIDATED = "validated", _("validated into an invoice")
        MOVED = "moved", _("its items moved to another draft")
        NO_ITEMS = "no_items", _("no item is left to bill on it")
        DELETED = "deleted", _("deleted")

    pre_invoice_id = models.BigIntegerField(unique=True)
    period = models.DateField()
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    document_key = models.CharField(max_length=300)
    why = models.CharField(max_length=10, choices=Why.choices)
    successor_id = models.BigIntegerField(null=True, blank=True, help_text="The draft that took its items.")
    invoice_number = models.CharField(max_length=35, blank=True, default="")
    released_deposits = models.DecimalField(**MONEY, default=0)
    removed_at = models.DateTimeField()

    def __str__(self):
        return f"#{self.pre_invoice_id} {self.why}"


class BillingRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    period = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    job = models.OneToOneField("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="billing_run", help_text="The background job that does the run.")

    def __str__(self):
        return f"run {self.period:%Y-%m} {self.status}"

    @property
    def shown_status(self) -> str:
        """'interrupted' for a run whose worker stopped (a crash): it can be resumed, it never shows running."""
        if self.job is None:  # a run of before the jobs, left running by a stopped thread
            return "interrupted" if self.status == self.Status.RUNNING else self.status
        return self.job.shown_status_of(self.status)


class InvoiceTemplate(models.Model):
    """How lines are worded and which proofs follow the document; for some clients or engagements, or the default.

    Billing's model: the harvest words the lines with it, prebill.documents reads which proofs to attach
    (its tables kept their first names, documents_*).
    """

    code = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False, help_text="The organisation's default template.")
    clients = models.ManyToManyField("clients.Client", blank=True, related_name="invoice_templates")
    engagements = models.ManyToManyField("engagements.Engagement", blank=True, related_name="invoice_templates")
    attach_activity_reports = models.BooleanField(default=False, help_text="Signed activity reports after T&M lines.")
    attach_receipts = models.BooleanField(default=True, help_text="Expense receipts and purchase proofs.")

    class Meta:
        db_table = "documents_invoicetemplate"

    def __str__(self):
        return self.code


class TemplateLine(models.Model):
    """For one kind of line: the designation's elements, in order, after a prefix."""

    template = models.ForeignKey(InvoiceTemplate, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=20)
    elements = models.JSONField(help_text='e.g. ["collaborator", "date", "quantity", "task"]')
    prefix = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "documents_templateline"
        constraints = [models.UniqueConstraint(fields=["template", "kind"], name="one_wording_per_kind")]

    def __str__(self):
        return f"{self.template_id} {self.kind}"


class DepositReservation(models.Model):
    """Part of a deposit set aside for a pre-invoice, before it becomes an invoice.

    A draft keeps its identity through rebuilds, so the reservation points to it; validation turns it
    into an allocation on the invoice (prebill.payments); a draft that disappears releases it (audited, in
    drafts.py). It is billing's model for that reason; its table kept its first name.
    """

    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="reservations")
    pre_invoice = models.ForeignKey(PreInvoice, on_delete=models.PROTECT, related_name="reservations")
    amount = models.DecimalField(**MONEY)
    reserved_at = models.DateTimeField(auto_now_add=True)
    reserved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        db_table = "payments_depositreservation"
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="reservation_positive")]

    def __str__(self):
        return f"{self.payment_id} -> #{self.pre_invoice_id}: {self.amount}"

"""Training organisations: products, sessions, learners and the fundings that pay for them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class TrainingProduct(models.Model):
    class Basis(models.TextChoices):
        PER_LEARNER = "per_learner", _("per learner")
        PER_GROUP = "per_group", _("per group")

    reference = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=200)
    hours = models.DecimalField(max_digits=7, decimal_places=2)
    days = models.DecimalField(max_digits=5, decimal_places=2)
    price = models.DecimalField(**MONEY)
    basis = models.CharField(max_length=12, choices=Basis.choices, default=Basis.PER_LEARNER)
    article = models.ForeignKey("catalogue.Article", on_delete=models.PROTECT)
    vat_exempt = models.BooleanField(default=True, help_text="Continuing vocational training is exempt from VAT.")

    def __str__(self):
        return self.reference

    @property
    def billing_unit(self) -> str:
        return "groupe" if self.basis == self.Basis.PER_GROUP else "apprenant"


class TrainingSession(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        ONGOING = "ongoing", _("ongoing")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    reference = models.CharField(max_length=30, unique=True)
    product = models.ForeignKey(TrainingProduct, on_delete=models.PROTECT, related_name="sessions")
    start = models.DateField()
    end = models.DateField()
    place = models.CharField(max_length=200, blank=True)
    trainer = models.ForeignKey("team.Collaborator", on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0, db_default=0,
                                           help_text="Discount granted on the product's price for this session.")

    def __str__(self):
        return self.reference


class Learner(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="learners")
    name = models.CharField(max_length=200)
    sponsor = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="learners")

    def __str__(self):
        return self.name


class Funding(models.Model):
    """A funder pays part of what a sponsor owes for a session: an amount or a percentage."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="fundings")
    funder = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="fundings_paid")
    sponsor = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="fundings_received")
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    per_learner = models.BooleanField(default=False, db_default=False,
                                      help_text="The amount is paid for each of the sponsor's learners.")
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # What the funder's invoice must quote, or an OPCO refuses it: its file (dossier, accord de prise en charge)
    # and the training agreement (convention de formation) signed with the sponsor.
    file_number = models.CharField(_("funder's file number"), max_length=60, blank=True, default="", db_default="",
                                   help_text="The OPCO's file number (dossier, prise en charge).")
    agreement_reference = models.CharField(_("training agreement"), max_length=60, blank=True, default="",
                                           db_default="", help_text="The training agreement (convention de formation).")

    def __str__(self):
        return f"{self.funder_id} for {self.sponsor_id}"


class TrainingCharge(models.Model):
    """What a client is charged for a session once it is done: the source of a billable item."""

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="charges")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="training_charges")
    sponsor = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    learners = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    # What the sponsor's part of the session costs before fundings, and how it was priced (shown on the invoice).
    unit_price = models.DecimalField(**MONEY, default=0, db_default=0)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0, db_default=0)
    session_total = models.DecimalField(**MONEY, default=0, db_default=0)
    # The fundings' references as they were when the charge was made (a funder's file numbers; the agreements).
    file_number = models.CharField(max_length=200, blank=True, default="", db_default="")
    agreement_reference = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "client", "sponsor"], name="one_charge_per_payer")]

    def __str__(self):
        return f"{self.session_id} {self.client_id} {self.amount}"

    @property
    def funded(self) -> bool:
        return self.client_id != self.sponsor_id


class SessionDocument(models.Model):
    """A proof of a session kept for its funders: a certificate of completion or signed attendance sheets, for
    one sponsor's learners; it follows the invoices of the session's funders of that sponsor."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("certificate of completion")
        ATTENDANCE = "attendance", _("signed attendance sheets")

    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="documents")
    sponsor = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    attachment = models.ForeignKey("attachments.Attachment", on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"{self.session_id} {self.kind} {self.sponsor_id}"

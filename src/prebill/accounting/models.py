"""Posted journal entries: one per invoice or credit note, numbered continuously per journal (a locked counter).

Entries and their lines never change once written: database triggers refuse UPDATE and DELETE.
"""

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2}

# Accounts and journals beside the firm's own (Organisation: customer_account, vat_account, sales_journal). The PCG
# leaves the sub-account of pending VAT to the firm (a 4457x): settings may name others.
PENDING_VAT_ACCOUNT = getattr(settings, "PREBILL_PENDING_VAT_ACCOUNT", "445740")  # TVA collectée en attente
BANK_ACCOUNT = getattr(settings, "PREBILL_BANK_ACCOUNT", "512000")  # Banque
BANK_JOURNAL = getattr(settings, "PREBILL_BANK_JOURNAL", "BQ")  # money received
VAT_JOURNAL = getattr(settings, "PREBILL_VAT_JOURNAL", "OD")  # VAT of the part paid, moved from pending to due
JOURNAL_LABELS = {"VE": "Ventes", BANK_JOURNAL: "Banque", VAT_JOURNAL: "Opérations diverses"}


class JournalCounter(models.Model):
    """The last entry number of a journal: locked by each posting, never a max() + 1."""

    journal = models.CharField(max_length=10, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.journal} #{self.last_number}"


class JournalEntry(models.Model):
    """The sales entry of an invoice (`invoice`), the bank entry of money received (`payment`), or the entry that
    moves the VAT of a part paid from pending to due (`allocation`, VAT on receipts)."""

    journal = models.CharField(max_length=10)
    number = models.PositiveIntegerField()
    date = models.DateField()
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="journal_entry",
                                   null=True, blank=True)
    payment = models.OneToOneField("payments.Payment", on_delete=models.PROTECT, related_name="journal_entry",
                                   null=True, blank=True)
    allocation = models.OneToOneField("payments.Allocation", on_delete=models.PROTECT, related_name="journal_entry",
                                      null=True, blank=True)
    # The counter-entry of an entry undone (a payment cancelled, an allocation removed): the same lines, debit and
    # credit swapped; the entry it reverses never changes.
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, related_name="reversal", null=True, blank=True)
    # The FEC's PieceRef and PieceDate (the invoice's number and date, or the payment's), and the currency of
    # its amounts in currency (empty: euros).
    piece_ref = models.CharField(max_length=100, blank=True, default="")
    piece_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    label = models.CharField(max_length=250)
    posted_at = models.DateTimeField()
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name_plural = "journal entries"
        constraints = [models.UniqueConstraint(fields=["journal", "number"], name="entry_number_unique")]

    def __str__(self):
        return f"{self.journal}{self.number:06d}"


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=20)
    account_label = models.CharField(max_length=100)
    aux_code = models.CharField(max_length=30, blank=True)
    aux_label = models.CharField(max_length=200, blank=True)
    debit = models.DecimalField(**MONEY)
    credit = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    currency_amount = models.DecimalField(null=True, blank=True, **MONEY)  # the FEC's Montantdevise

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self):
        return f"{self.account} {self.debit} {self.credit}"


class ExchangeRate(models.Model):
    """A rate the firm enters: euros for one unit of `currency` from `day` on. Validation of an invoice in that
    currency takes the latest rate on or before its date and stores it on the invoice (which never changes)."""

    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. CHF.")
    day = models.DateField("date")
    rate = models.DecimalField(max_digits=12, decimal_places=6,
                               help_text="Euros for 1 unit of the currency (1 CHF = 1.070000 EUR: 1.070000).")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="one_rate_per_currency_and_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} EUR ({self.day})"

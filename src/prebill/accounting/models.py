"""Posted journal entries: one per invoice or credit note, numbered continuously per journal (a locked counter).

Entries and their lines never change once written: database triggers refuse UPDATE and DELETE.
"""

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2}


class JournalCounter(models.Model):
    """The last entry number of a journal: locked by each posting, never a max() + 1."""

    journal = models.CharField(max_length=10, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.journal} #{self.last_number}"


class JournalEntry(models.Model):
    journal = models.CharField(max_length=10)
    number = models.PositiveIntegerField()
    date = models.DateField()
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.PROTECT, related_name="journal_entry")
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

    class Meta:
        ordering = ["entry", "id"]

    def __str__(self):
        return f"{self.account} {self.debit} {self.credit}"

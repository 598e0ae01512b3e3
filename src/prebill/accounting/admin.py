"""Journal entries and lines, read-only: only posting writes them, and a posted entry never changes."""

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import ExchangeRate, JournalEntry, JournalLine


class JournalLineInline(ReadOnlyAdmin, admin.TabularInline):
    model = JournalLine
    extra = 0
    fields = ["account", "account_label", "aux_code", "aux_label", "debit", "credit"]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["__str__", "date", "invoice", "piece_ref", "label", "posted_at"]
    list_select_related = ["invoice"]
    list_filter = ["journal"]
    search_fields = ["label", "invoice__number"]
    raw_id_fields = ["invoice", "payment", "allocation", "posted_by"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """The firm's exchange rates (euros for one unit): validation takes the latest on or before the invoice date
    and freezes it on the invoice, so correcting a rate here never changes an issued invoice."""

    list_display = ["currency", "day", "rate", "entered_at"]
    list_filter = ["currency"]
    date_hierarchy = "day"

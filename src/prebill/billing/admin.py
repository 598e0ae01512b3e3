"""Items and the drafts derived from them are read-only here: they change through the services, audited."""

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, PreInvoiceVat


@admin.register(BillableItem)
class BillableItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "kind", "client", "engagement", "service_date", "quantity", "unit_price", "amount",
                    "decision", "status"]
    list_select_related = ["client", "engagement"]
    list_filter = ["kind", "decision", "status", "period"]
    search_fields = ["client__code", "engagement__code", "designation"]
    raw_id_fields = ["client", "engagement", "part", "installment", "time_entry", "unit_metric", "collaborator",
                     "article", "article_rule", "pre_invoice_line"]


class PreInvoiceLineInline(ReadOnlyAdmin, admin.TabularInline):
    model = PreInvoiceLine
    extra = 0
    fields = ["position", "designation", "designation_override", "quantity", "unit", "unit_price", "amount",
              "vat_rate"]
    readonly_fields = ["designation", "quantity", "unit", "unit_price", "amount", "vat_rate"]


class PreInvoiceVatInline(ReadOnlyAdmin, admin.TabularInline):
    model = PreInvoiceVat
    extra = 0
    readonly_fields = ["rate", "base", "vat"]


@admin.register(PreInvoice)
class PreInvoiceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "client", "period", "invoice_date", "grouping_reason", "total_excluding_vat",
                    "total_including_vat"]
    list_select_related = ["client"]
    list_filter = ["period"]
    search_fields = ["client__code", "client__name"]
    raw_id_fields = ["client", "billing_address", "run"]
    inlines = [PreInvoiceLineInline, PreInvoiceVatInline]


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "period", "status", "started_at", "finished_at"]
    readonly_fields = ["summary"]

"""Invoices, their lines, item shares, VAT and series counters, read-only: only validation and credit notes write them."""

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import Invoice, InvoiceLine, InvoiceLineItem, InvoiceVat, SeriesCounter


class InvoiceLineInline(ReadOnlyAdmin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = ["position", "kind", "article_code", "designation", "quantity", "unit", "unit_price", "amount",
              "vat_rate"]
    show_change_link = True


class InvoiceVatInline(ReadOnlyAdmin, admin.TabularInline):
    model = InvoiceVat
    extra = 0
    fields = ["rate", "base", "vat"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["number", "kind", "issue_date", "client", "state", "total_excluding_vat", "total_including_vat"]
    list_select_related = ["client"]
    list_filter = ["kind", "state", "period"]
    search_fields = ["number", "buyer_code", "buyer_name"]
    raw_id_fields = ["client", "credited_invoice", "series", "validated_by"]
    date_hierarchy = "issue_date"
    inlines = [InvoiceLineInline, InvoiceVatInline]


class InvoiceLineItemInline(ReadOnlyAdmin, admin.TabularInline):
    model = InvoiceLineItem
    extra = 0
    fields = ["item", "quantity", "amount"]
    raw_id_fields = ["item"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["invoice", "position", "designation", "quantity", "unit_price", "amount", "vat_rate"]
    list_select_related = ["invoice"]
    search_fields = ["invoice__number", "designation"]
    raw_id_fields = ["invoice"]
    inlines = [InvoiceLineItemInline]


@admin.register(SeriesCounter)
class SeriesCounterAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["series", "year", "last_number", "last_issue_date"]
    list_select_related = ["series"]

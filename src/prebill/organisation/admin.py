from django.contrib import admin

from .models import InvoiceSeries, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "siren", "vat_number", "city"]


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "prefix", "digits", "is_default"]

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import BillingAddress, BillingConditions, Client


class BillingAddressInline(admin.TabularInline):
    model = BillingAddress
    extra = 0


# Dated conditions change on the client's page (or by import): their drafts follow and the audit keeps it.
class BillingConditionsInline(ReadOnlyAdmin, admin.TabularInline):
    model = BillingConditions
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "siren", "vat_number", "nature", "active"]
    list_filter = ["nature", "active"]
    search_fields = ["code", "name", "siren"]
    inlines = [BillingAddressInline, BillingConditionsInline]


@admin.register(BillingAddress)
class BillingAddressAdmin(admin.ModelAdmin):
    list_display = ["client", "code", "line1", "postcode", "city", "is_default"]
    list_select_related = ["client"]
    search_fields = ["client__code", "city"]


@admin.register(BillingConditions)
class BillingConditionsAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["client", "applies_from", "vat_regime", "payment_terms_days", "payment_method", "line_mode"]
    list_select_related = ["client"]
    search_fields = ["client__code"]

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import Engagement, EngagementPart, Installment, PartRate, Task


def is_billed(installment: Installment | None) -> bool:
    """An installment an invoice has billed is in the ledger: it changes by a credit note, not here."""
    item = getattr(installment, "billable_item", None)  # None without an item yet
    return item is not None and item.status == "billed"


class EngagementPartInline(admin.TabularInline):
    model = EngagementPart
    extra = 0
    raw_id_fields = ["article"]


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    raw_id_fields = ["parent", "part"]


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["code", "client", "label", "engagement_class", "fiscal_year", "manager", "currency"]
    list_select_related = ["client", "manager"]
    list_filter = ["engagement_class", "fiscal_year", "status"]
    search_fields = ["code", "label", "client__code", "client__name"]
    raw_id_fields = ["client", "billing_address"]
    inlines = [EngagementPartInline, TaskInline]


class InstallmentInline(admin.TabularInline):
    """The installments not billed yet, editable; the billed ones are in BilledInstallmentInline."""

    model = Installment
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(billable_item__status="billed")


class BilledInstallmentInline(ReadOnlyAdmin, admin.TabularInline):
    model = Installment
    extra = 0
    verbose_name_plural = "billed installments"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(billable_item__status="billed")


class PartRateInline(admin.TabularInline):
    model = PartRate
    extra = 0


@admin.register(EngagementPart)
class EngagementPartAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "kind", "article", "fee_amount", "frequency", "on_own_invoice"]
    list_select_related = ["engagement", "article"]
    list_filter = ["kind"]
    search_fields = ["engagement__code", "code", "label"]
    raw_id_fields = ["engagement"]
    inlines = [InstallmentInline, BilledInstallmentInline, PartRateInline]


@admin.register(Installment)
class InstallmentAdmin(admin.ModelAdmin):
    """Unbilled installments are edited here; a billed one is shown, neither changed nor deleted."""

    list_display = ["part", "due_date", "amount", "label"]
    list_select_related = ["part__engagement"]
    raw_id_fields = ["part"]
    date_hierarchy = "due_date"

    def has_change_permission(self, request, obj=None):
        return not is_billed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not is_billed(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete billed installments along with the others
        return actions


@admin.register(PartRate)
class PartRateAdmin(admin.ModelAdmin):
    list_display = ["part", "collaborator", "grade", "hourly_rate", "daily_rate"]
    raw_id_fields = ["part"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["__str__", "label", "status", "planned_hours"]
    list_select_related = ["engagement"]
    list_filter = ["status"]
    raw_id_fields = ["engagement", "parent", "part"]

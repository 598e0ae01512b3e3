from django.contrib import admin

from .models import Engagement, EngagementPart, Installment, PartRate, Task


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
    model = Installment
    extra = 0


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
    inlines = [InstallmentInline, PartRateInline]


@admin.register(Installment)
class InstallmentAdmin(admin.ModelAdmin):
    list_display = ["part", "due_date", "amount", "label"]
    list_select_related = ["part__engagement"]
    raw_id_fields = ["part"]
    date_hierarchy = "due_date"


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

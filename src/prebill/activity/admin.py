from django.contrib import admin

from .models import TimeEntry, UnitMetric


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ["external_id", "date", "collaborator", "engagement", "hours", "billable", "approved"]
    list_select_related = ["collaborator", "engagement"]
    list_filter = ["billable", "approved"]
    search_fields = ["external_id", "engagement__code", "collaborator__code"]
    raw_id_fields = ["collaborator", "engagement", "part", "task"]
    date_hierarchy = "date"


@admin.register(UnitMetric)
class UnitMetricAdmin(admin.ModelAdmin):
    list_display = ["client", "engagement", "metric_code", "period", "quantity"]
    list_select_related = ["client", "engagement"]
    search_fields = ["client__code", "metric_code"]
    raw_id_fields = ["client", "engagement"]

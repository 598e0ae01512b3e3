"""The audit trail, read-only: events are written once by the services and never changed."""

from django.contrib import admin

from prebill.web.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id"]
    list_select_related = ["user"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_type", "object_id", "action"]
    date_hierarchy = "at"

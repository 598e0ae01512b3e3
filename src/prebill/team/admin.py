from django.contrib import admin

from .models import Collaborator, CollaboratorGroup


@admin.register(CollaboratorGroup)
class CollaboratorGroupAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(Collaborator)
class CollaboratorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "grade", "hourly_rate", "daily_rate", "active"]
    list_filter = ["grade", "active", "groups"]
    search_fields = ["code", "name"]

from django.contrib import admin

from .models import Funding, Learner, SessionDocument, TrainingProduct, TrainingSession


class LearnerInline(admin.TabularInline):
    model = Learner
    extra = 1


class FundingInline(admin.TabularInline):
    model = Funding
    extra = 1


class SessionDocumentInline(admin.TabularInline):
    """Kept through the session page, which checks the file: shown here, never added."""

    model = SessionDocument
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "sponsor", "attachment")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TrainingProduct)
class TrainingProductAdmin(admin.ModelAdmin):
    list_display = ("reference", "label", "hours", "price", "basis", "vat_exempt")


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    """Marking sessions done or cancelling them happens on prebill's session page, never here."""

    list_display = ("reference", "product", "start", "end", "status")
    readonly_fields = ("status",)
    inlines = [LearnerInline, FundingInline, SessionDocumentInline]

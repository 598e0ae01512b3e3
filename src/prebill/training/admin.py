from django.contrib import admin

from .models import Funding, Learner, TrainingProduct, TrainingSession


class LearnerInline(admin.TabularInline):
    model = Learner
    extra = 1


class FundingInline(admin.TabularInline):
    model = Funding
    extra = 1


@admin.register(TrainingProduct)
class TrainingProductAdmin(admin.ModelAdmin):
    list_display = ("reference", "label", "hours", "price", "basis", "vat_exempt")


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    """Marking sessions done or cancelling them happens on prebill's session page, never here."""

    list_display = ("reference", "product", "start", "end", "status")
    readonly_fields = ("status",)
    inlines = [LearnerInline, FundingInline]

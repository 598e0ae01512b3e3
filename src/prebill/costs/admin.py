from django.contrib import admin

from .models import OvertimeTerms, SurchargeBand


class SurchargeBandInline(admin.TabularInline):
    model = SurchargeBand
    extra = 1


@admin.register(OvertimeTerms)
class OvertimeTermsAdmin(admin.ModelAdmin):
    """The overtime conditions of a T&M part: hourly rate and surcharge table."""

    list_display = ("part", "hourly_rate")
    inlines = [SurchargeBandInline]

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from prebill.core.month_schedule import CATCH_UP

from .models import InvoiceSeries, LegalWording, Organisation

TRAINING = ("training_billing", "draft_training_on_done")
AUTOMATIC_PREPARATION = ("auto_prepare", "auto_prepare_day", "auto_prepare_time", "auto_prepare_month",
                         "last_auto_prepared_at", "last_auto_prepared_period")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """The firm's settings. The day of the automatic preparation is checked by the model's field (1 to 28, or the
    last day); the last run it started is the scheduler's record, shown, never typed."""

    list_display = ["legal_name", "siren", "vat_number", "city"]
    readonly_fields = ["last_auto_prepared_at", "last_auto_prepared_period"]

    def get_fieldsets(self, request, obj=None):
        grouped = {*TRAINING, *AUTOMATIC_PREPARATION}
        others = [name for name in self.get_fields(request, obj) if name not in grouped]
        return [
            (None, {"fields": others}),
            (_("Training"), {"fields": TRAINING}),
            (_("Automatic preparation of the month"), {"fields": AUTOMATIC_PREPARATION, "description": gettext(
                "On the firm's clock (%(zone)s). A moment missed by less than %(days)s days (the server was off) is "
                "caught up when the scheduler runs again; a month already prepared automatically is not prepared "
                "again.") % {"zone": settings.TIME_ZONE, "days": CATCH_UP.days}}),
        ]


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "prefix", "digits", "is_default"]


@admin.register(LegalWording)
class LegalWordingAdmin(admin.ModelAdmin):
    """The firm's dated exemption wordings (also on the firm settings page, with the built-in ones)."""

    list_display = ["regime", "valid_from", "text"]
    list_filter = ["regime"]

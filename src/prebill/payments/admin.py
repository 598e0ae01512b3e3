"""Payments, allocations and deposit reservations, read-only: they change through the payment services, audited."""

from django.contrib import admin

from prebill.billing.models import DepositReservation
from prebill.web.admin import ReadOnlyAdmin

from .models import Allocation, Payment


class AllocationInline(ReadOnlyAdmin, admin.TabularInline):
    model = Allocation
    extra = 0
    fields = ["invoice", "amount", "allocated_at", "removed_at", "removal_reason"]
    raw_id_fields = ["invoice"]

    def get_queryset(self, request):  # the removed ones too: the history of the payment
        return Allocation.all_objects.select_related("invoice")


class DepositReservationInline(ReadOnlyAdmin, admin.TabularInline):
    model = DepositReservation
    extra = 0
    fields = ["pre_invoice", "amount", "reserved_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "client", "date", "method", "amount", "reference", "cancelled_at"]
    list_select_related = ["client"]
    list_filter = ["method"]
    search_fields = ["client__code", "reference"]
    raw_id_fields = ["client", "recorded_by"]
    date_hierarchy = "date"
    inlines = [AllocationInline, DepositReservationInline]

    def get_queryset(self, request):  # the cancelled ones too, marked
        return Payment.all_objects.select_related("client")

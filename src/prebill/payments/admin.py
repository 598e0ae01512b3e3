"""Payments, allocations and deposit reservations, read-only: they change through the payment services, audited."""

from django.contrib import admin

from prebill.billing.models import DepositReservation
from prebill.web.admin import ReadOnlyAdmin

from .models import Allocation, Payment


class AllocationInline(ReadOnlyAdmin, admin.TabularInline):
    model = Allocation
    extra = 0
    fields = ["invoice", "amount", "allocated_at"]
    raw_id_fields = ["invoice"]


class DepositReservationInline(ReadOnlyAdmin, admin.TabularInline):
    model = DepositReservation
    extra = 0
    fields = ["pre_invoice", "amount", "reserved_at"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "client", "date", "method", "amount", "reference"]
    list_select_related = ["client"]
    list_filter = ["method"]
    search_fields = ["client__code", "reference"]
    raw_id_fields = ["client", "recorded_by"]
    date_hierarchy = "date"
    inlines = [AllocationInline, DepositReservationInline]

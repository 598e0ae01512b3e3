"""Reads of the client pages, set-based."""

from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from .models import BillingConditions, Client


def clients_page(search: str, page: int, per_page: int = 50) -> Page:
    clients = Client.objects.annotate(engagement_count=Count("engagements")).order_by("code")
    if search:
        clients = clients.filter(Q(code__icontains=search) | Q(name__icontains=search) | Q(siren__startswith=search))
    return Paginator(clients, per_page).get_page(page)


def client_detail(code: str, today: date) -> tuple[Client, list[BillingConditions], BillingConditions | None]:
    client = Client.objects.prefetch_related("addresses", "engagements__manager").get(code=code)
    conditions = list(client.billing_conditions.order_by("applies_from"))
    in_force = next((c for c in reversed(conditions) if c.applies_from <= today), None)
    return client, conditions, in_force

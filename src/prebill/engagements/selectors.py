"""Reads of the engagement pages, set-based."""

from collections import defaultdict

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from .models import Engagement, Installment, Task


def engagements_page(*, search: str, client: str, engagement_class: str, manager: str, page: int) -> Page:
    engagements = (Engagement.objects.select_related("client", "manager").annotate(part_count=Count("parts"))
                   .order_by("code"))
    if search:
        engagements = engagements.filter(Q(code__icontains=search) | Q(label__icontains=search))
    if client:
        engagements = engagements.filter(client__code=client)
    if engagement_class:
        engagements = engagements.filter(engagement_class=engagement_class)
    if manager:
        engagements = engagements.filter(manager__code=manager)
    return Paginator(engagements, 50).get_page(page)


def engagement_detail(code: str) -> dict:
    engagement = (Engagement.objects.select_related("client", "manager", "salesperson", "billing_address")
                  .prefetch_related("parts__article", "parts__rates__collaborator").get(code=code))
    tasks = list(Task.objects.filter(engagement=engagement).select_related("part").order_by("code"))
    plan = defaultdict(lambda: defaultdict(list))  # part -> fiscal year -> installments
    for installment in (Installment.objects.filter(part__engagement=engagement)
                        .select_related("billable_item").order_by("due_date")):
        item = getattr(installment, "billable_item", None)
        installment.harvested = item is not None
        installment.billed = item is not None and item.status == "billed"
        plan[installment.part_id][installment.due_date.year].append(installment)
    parts = list(engagement.parts.all())
    for part in parts:
        part.plan = {year: rows for year, rows in sorted(plan[part.pk].items())}
    return {"engagement": engagement, "parts": parts, "tasks": _tree(tasks)}


def _tree(tasks: list[Task]) -> list[tuple[int, Task]]:
    """Tasks in tree order with their depth, for an indented list."""
    children = defaultdict(list)
    for task in tasks:
        children[task.parent_id].append(task)
    ordered: list[tuple[int, Task]] = []

    def walk(parent_id, depth):
        for task in children[parent_id]:
            ordered.append((depth, task))
            walk(task.pk, depth + 1)

    walk(None, 0)
    return ordered

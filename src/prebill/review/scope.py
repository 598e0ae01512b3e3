"""Step 1 of the periodic billing wizard: which billable items a review covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet

from prebill.billing.models import BillableItem
from prebill.engagements.models import Task

DEFAULT_TASK_STATUSES = frozenset({Task.Status.ACTIVE, Task.Status.DONE})


@dataclass(frozen=True)
class Scope:
    """What to bill. Empty bounds mean no bound; ranges are inclusive, on codes as the firm writes them."""

    start: date
    end: date
    engagement_from: str = ""
    engagement_to: str = ""
    engagement_class: str = ""
    client_from: str = ""
    client_to: str = ""
    salesperson: str = ""  # collaborator code
    manager: str = ""
    task: int | None = None  # with its sub-tasks
    collaborator: str = ""
    collaborator_group: str = ""
    task_statuses: frozenset = field(default=DEFAULT_TASK_STATUSES)


def task_and_subtasks(task_id: int) -> set[int]:
    """A task and every task under it, from one read of its engagement's tree."""
    engagement_id = Task.objects.filter(pk=task_id).values_list("engagement_id", flat=True).first()
    children: dict[int | None, list[int]] = {}
    for pk, parent in Task.objects.filter(engagement_id=engagement_id).values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, todo = set(), [task_id] if engagement_id else []
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def _range(prefix: str, low: str, high: str) -> Q:
    condition = Q()
    if low:
        condition &= Q(**{f"{prefix}__gte": low})
    if high:
        condition &= Q(**{f"{prefix}__lte": high})
    return condition


def items_in_scope(scope: Scope) -> QuerySet[BillableItem]:
    """Pending items of the scope, in one query whatever the portfolio's size."""
    items = BillableItem.objects.filter(
        _range("engagement__code", scope.engagement_from, scope.engagement_to),
        _range("client__code", scope.client_from, scope.client_to),
        status=BillableItem.Status.PENDING, service_date__range=(scope.start, scope.end),
    )
    if scope.engagement_class:
        items = items.filter(engagement__engagement_class=scope.engagement_class)
    if scope.salesperson:
        items = items.filter(engagement__salesperson__code=scope.salesperson)
    if scope.manager:
        items = items.filter(engagement__manager__code=scope.manager)
    if scope.collaborator:
        items = items.filter(collaborator__code=scope.collaborator)
    if scope.collaborator_group:
        items = items.filter(collaborator__groups__code=scope.collaborator_group)
    if scope.task is not None:
        items = items.filter(time_entry__task_id__in=task_and_subtasks(scope.task))
    # Items without a task (installments, metrics, time not booked on a task) are not filtered by status.
    items = items.filter(Q(time_entry__task__isnull=True) | Q(time_entry__task__status__in=scope.task_statuses))
    return items.distinct() if scope.collaborator_group else items

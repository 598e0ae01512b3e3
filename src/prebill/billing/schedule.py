"""The month prepared by itself: at the firm's day and time, the scheduler starts the month's run.

The scheduler (Celery beat: `prebill beat`, or the one `prebill serve` starts in the embedded mode) sends a tick
every minute (prebill.jobs.queue); a worker asks here whether a preparation is due (prebill.core.month_schedule
says when, and which month). The organisation's row records the last month prepared automatically, and taking
it is one conditional UPDATE: two ticks, or two schedulers, start a month once. The run is the usual job of the
month (start_pre_billing), started by nobody; the audit trail says it was automatic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prebill.audit.services import record
from prebill.core.month_schedule import MonthPrepared, MonthSchedule, ScheduledRun, due_run, next_run
from prebill.core.periods import Period
from prebill.jobs.services import background
from prebill.organisation.models import Organisation

from .models import BillingRun
from .services import start_pre_billing

LATE_AFTER = timedelta(minutes=5)  # a due preparation no scheduler started by then: the page says so


def schedule_of(organisation: Organisation) -> MonthSchedule:
    """The firm's schedule, on its clock (settings.TIME_ZONE)."""
    return MonthSchedule(day=organisation.auto_prepare_day, at=organisation.auto_prepare_time,
                         month=MonthPrepared(organisation.auto_prepare_month), zone=settings.TIME_ZONE)


def _prepared(organisation: Organisation) -> Period | None:
    first_day = organisation.last_auto_prepared_period
    return Period.of(first_day) if first_day else None


def prepare_scheduled_month(*, now: datetime) -> BillingRun | None:
    """Start the month's run when the firm's moment has come and no automatic run has prepared that month yet;
    None when there is nothing to start (off, not yet, done already, or another tick took it)."""
    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None or not organisation.auto_prepare:
        return None
    due = due_run(schedule_of(organisation), now, prepared=_prepared(organisation))
    if due is None:
        return None
    with transaction.atomic():
        # The row decides between two ticks: the one whose UPDATE finds the month not prepared yet takes it.
        taken = Organisation.objects.filter(pk=organisation.pk, auto_prepare=True).filter(
            Q(last_auto_prepared_period__isnull=True) | Q(last_auto_prepared_period__lt=due.period.first_day),
        ).update(last_auto_prepared_at=now, last_auto_prepared_period=due.period.first_day)
        if not taken:
            return None
        run = start_pre_billing(period=due.period, user=None)
        record(user=None, action="automatic_pre_billing", obj=run, before={}, after={
            "by": "automatic", "period": str(due.period), "scheduled_at": due.at.isoformat(),
            "started_at": now.isoformat()})
    return run


@background("prepare_scheduled_month")
def _tick() -> None:
    """The scheduler's tick, received by a worker (prebill.jobs.tasks.prepare_scheduled_month)."""
    prepare_scheduled_month(now=timezone.now())


@dataclass(frozen=True)
class AutomaticPreparation:
    """What the pre-billing page shows of the automatic preparation."""

    enabled: bool
    organisation_id: int | None = None
    last_at: datetime | None = None
    last_period: Period | None = None
    next: ScheduledRun | None = None
    late: bool = False  # the next one is due since a while and no scheduler started it


def automatic_preparation(*, now: datetime) -> AutomaticPreparation:
    """The last automatic run (when, which month) and the next one, or that the firm prepares its months by hand."""
    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None:
        return AutomaticPreparation(enabled=False)
    prepared = _prepared(organisation)
    last = {"organisation_id": organisation.pk, "last_at": organisation.last_auto_prepared_at,
            "last_period": prepared}
    if not organisation.auto_prepare:
        return AutomaticPreparation(enabled=False, **last)
    coming = next_run(schedule_of(organisation), now, prepared=prepared)
    return AutomaticPreparation(enabled=True, next=coming, late=now - coming.at > LATE_AFTER, **last)

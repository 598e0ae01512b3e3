"""State changes of pre-billing: the monthly run."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from prebill.audit.services import record
from prebill.core.periods import Period
from prebill.core.review import Decision
from prebill.organisation.models import Organisation

from .context import PortfolioContext
from .drafts import rebuild_drafts
from .harvest import harvest
from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine

logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    period: str
    run_id: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    not_billed_now: dict[str, int] = field(default_factory=dict)
    pre_invoices: int = 0
    lines: int = 0
    items_on_pre_invoices: int = 0
    excess_to_credit: int = 0
    total_excluding_vat: Decimal = Decimal("0.00")
    total_vat: Decimal = Decimal("0.00")
    total_including_vat: Decimal = Decimal("0.00")

    def as_json(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in self.__dict__.items()}


class RunFailed(Exception):
    pass


def run_pre_billing(*, period: Period, user=None, run: BillingRun | None = None) -> RunSummary:
    """Harvest the period's billable facts into items, then rebuild its pre-invoices; all or nothing."""
    if run is None:
        run = BillingRun.objects.create(period=period.first_day, started_at=timezone.now(), started_by=user)
    try:
        with transaction.atomic():
            # One run at a time: PostgreSQL waits here; SQLite's IMMEDIATE transactions already queue writers.
            Organisation.objects.select_for_update().first()
            BillableItem.objects.filter(
                status=BillableItem.Status.PENDING, decision=Decision.BILL_LATER, postponed_to=period.first_day
            ).update(period=period.first_day, invoice_date=period.last_day, decision=Decision.BILL_NOW,
                     postponed_to=None)
            _progress(run, gettext("reading the portfolio"))
            ctx = PortfolioContext.load()
            _progress(run, gettext("harvesting installments, payroll metrics and time"))
            harvested = harvest(period, ctx)
            _progress(run, gettext("grouping the items into pre-invoices"))
            drafts = rebuild_drafts(period, ctx, run)
    except Exception as error:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
        raise
    summary = RunSummary(
        period=str(period), run_id=run.pk, created=dict(harvested.created), updated=dict(harvested.updated),
        unchanged=dict(harvested.unchanged), skipped=dict(harvested.skipped),
        not_billed_now=dict(drafts.not_billed_now), pre_invoices=drafts.pre_invoices, lines=drafts.lines,
        items_on_pre_invoices=drafts.items, excess_to_credit=drafts.excess_to_credit,
        total_excluding_vat=drafts.total_excluding_vat, total_vat=drafts.total_vat,
        total_including_vat=drafts.total_including_vat,
    )
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRun.Status.DONE, finished_at=timezone.now(), summary=summary.as_json()
    )
    return summary


def run_progress(run: BillingRun) -> str:
    """The step a running run is at (kept in the cache: the run's own rows are invisible until it commits)."""
    return cache.get(f"prebill-run-{run.pk}", "")


def _progress(run: BillingRun, step: str) -> None:
    cache.set(f"prebill-run-{run.pk}", step, 3600)


def start_pre_billing(*, period: Period, user=None) -> BillingRun:
    """Start a run and return at once; the web page follows the run's status.

    Runs go to a background thread of this process (one machine, no broker needed), or inline when
    PREBILL_RUNS_INLINE is set (tests). A run already going for the period is returned instead of a second one.
    """
    with transaction.atomic():
        running = BillingRun.objects.select_for_update().filter(
            period=period.first_day, status=BillingRun.Status.RUNNING).first()
        if running is not None:
            return running
        run = BillingRun.objects.create(period=period.first_day, started_at=timezone.now(), started_by=user)
    if settings.PREBILL_RUNS_INLINE:
        _run_quietly(period, user, run)
        run.refresh_from_db()
    else:
        threading.Thread(target=_run_in_thread, args=(period, user, run), daemon=True).start()
    return run


def _run_quietly(period: Period, user, run: BillingRun) -> None:
    try:
        run_pre_billing(period=period, user=user, run=run)
    except Exception:
        # run_pre_billing recorded the failure on the run, which the page shows; keep the trace in the log.
        logger.exception("pre-billing run %s failed", run.pk)


def _run_in_thread(period: Period, user, run: BillingRun) -> None:
    try:
        _run_quietly(period, user, run)
    finally:
        connection.close()


class SpecialActionRefused(Exception):
    """Reordering lines and typing designations is kept for users with the 'special actions' permission."""


def _check_special_actions(user) -> None:
    if not user.has_perm("billing.special_actions"):
        raise SpecialActionRefused(gettext("Only users with the permission 'special actions' may do this."))


@transaction.atomic
def replace_designation(*, line_id: int, text: str, user) -> None:
    """Type a line's designation; it wins over the template and survives the next runs."""
    _check_special_actions(user)
    line = PreInvoiceLine.objects.select_for_update().get(pk=line_id)
    before = line.designation_override or line.designation
    line.designation_override = text.strip()[:500]
    line.save(update_fields=["designation_override"])
    record(user=user, action="replace_designation", obj=line, before={"designation": before},
           after={"designation": line.designation_override})


@transaction.atomic
def reorder_lines(*, pre_invoice_id: int, line_ids: list[int], user) -> None:
    """Put the pre-invoice's lines in the given order; the order survives the next runs."""
    _check_special_actions(user)
    lines = {line.pk: line for line in PreInvoiceLine.objects.select_for_update().filter(pre_invoice_id=pre_invoice_id)}
    if sorted(line_ids) != sorted(lines):
        raise SpecialActionRefused(gettext("Give every line of the pre-invoice once."))
    before = [line.pk for line in sorted(lines.values(), key=lambda line: line.position)]
    for position, pk in enumerate(line_ids, start=1):
        lines[pk].position = lines[pk].manual_position = position
    PreInvoiceLine.objects.bulk_update(lines.values(), ["position", "manual_position"])
    record(user=user, action="reorder_lines", obj=PreInvoice(pk=pre_invoice_id), before={"order": before},
           after={"order": line_ids})

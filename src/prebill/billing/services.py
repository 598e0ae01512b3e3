"""State changes of pre-billing: the monthly run."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from prebill.audit.services import record
from prebill.clients.models import Client
from prebill.core.grouping import terms_change
from prebill.core.money import round_money
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.core.review import Decision
from prebill.core.vat import totals, vat_breakdown
from prebill.costs.services import CostRefused
from prebill.jobs.services import handler, resume_job, start_job
from prebill.locks import drafts_lock, retrying

from .context import PortfolioContext
from .decisions import changed_since
from .drafts import SCOPED_AT_MOST, DraftsResult, excess_to_credit, rebuild_drafts, refresh_drafts
from .harvest import HarvestResult, harvest
from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, PreInvoiceVat, RemovedDraft
from .selectors import REBILLABLE_KINDS, removed_draft

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
    drafts_created: int = 0
    drafts_changed: int = 0
    drafts_removed: int = 0
    total_excluding_vat: Decimal = Decimal("0.00")
    total_vat: Decimal = Decimal("0.00")
    total_including_vat: Decimal = Decimal("0.00")

    def as_json(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict) -> RunSummary:
        money = {"total_excluding_vat", "total_vat", "total_including_vat"}
        return cls(**{k: Decimal(v) if k in money else v for k, v in data.items()})


RUN_SLICE = SCOPED_AT_MOST  # clients a run harvests and groups at a time


class RunFailed(Refusal):
    """The month's run could not be done; the message says why."""


def run_pre_billing(*, period: Period, user=None, run: BillingRun | None = None,
                    progress: Callable[[str], object] | None = None) -> RunSummary:
    """Harvest the period's billable facts into items, then rebuild its pre-invoices; all or nothing.

    `progress(step)` hears each step (a message id, translated when shown: prebill.jobs)."""
    if run is None:
        run = BillingRun.objects.create(period=period.first_day, started_at=timezone.now(), started_by=user)
    try:
        harvested, drafts = _harvest_and_group(period, run, progress or (lambda step: None))
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
        drafts_created=drafts.created, drafts_changed=drafts.changed, drafts_removed=drafts.removed,
        total_excluding_vat=drafts.total_excluding_vat, total_vat=drafts.total_vat,
        total_including_vat=drafts.total_including_vat,
    )
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRun.Status.DONE, finished_at=timezone.now(), summary=summary.as_json()
    )
    return summary


@retrying
def _harvest_and_group(period: Period, run: BillingRun, progress: Callable[[str], object]):
    # One writer of the month's drafts at a time (runs, rebuilds, validations): the named lock comes first.
    drafts_lock(period.first_day)
    BillableItem.objects.filter(
        status=BillableItem.Status.PENDING, decision=Decision.BILL_LATER, postponed_to=period.first_day
    ).update(period=period.first_day, invoice_date=period.last_day, decision=Decision.BILL_NOW, postponed_to=None)
    progress(gettext_noop("reading the portfolio"))
    ctx = PortfolioContext.load()
    harvested, drafts = HarvestResult(), DraftsResult()
    # A few hundred clients at a time: what is held in memory is one slice's items and drafts, whatever the size
    # of the portfolio. A draft's client is its items' engagement's, so slices of clients share no draft.
    clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(clients), RUN_SLICE):
        some = clients[start:start + RUN_SLICE]
        progress(gettext_noop("harvesting installments, payroll metrics and time"))
        harvested.add(harvest(period, ctx, clients=some))
        progress(gettext_noop("grouping the items into pre-invoices"))
        drafts.add(rebuild_drafts(period, ctx, run, clients=some))
    drafts.excess_to_credit = excess_to_credit().count()
    return harvested, drafts


def bring_in_step(*, clients: Collection[int] | None, since: date | None = None) -> int:
    """Sources of these clients (None: of the whole portfolio) changed — time or metrics imported, dated
    conditions added, a portfolio file loaded: the months already run (from `since` on) harvest their
    facts again and their drafts follow, in the caller's transaction. Returns how many drafts changed,
    appeared or went."""
    runs = BillingRun.objects.filter(status=BillingRun.Status.DONE)
    if since is not None:
        runs = runs.filter(period__gte=Period.of(since).first_day)
    periods = sorted(set(runs.values_list("period", flat=True)))
    clients = None if clients is None else set(clients)
    if clients == set() or not periods:
        return 0
    scoped = clients if clients is not None and len(clients) <= SCOPED_AT_MOST else None
    ctx = PortfolioContext.load(scoped)
    touched = 0
    for first_day in periods:
        period = Period.of(first_day)
        drafts_lock(first_day)
        harvest(period, ctx, clients=scoped)
        done = rebuild_drafts(period, ctx, clients=clients)
        touched += done.created + done.changed + done.removed
    return touched


def run_progress(run: BillingRun) -> str:
    """The step a running run is at, in the user's language (its job's heartbeat writes it)."""
    step = run.job.step if run.job is not None and run.status == BillingRun.Status.RUNNING else ""
    return gettext(step) if step else ""


def start_pre_billing(*, period: Period, user=None, here: bool = False) -> BillingRun:
    """Start the month's run as a background job and return its run at once; the page follows its status.

    One run per month at a time: while one is queued or running, starting again returns it (the jobs' unique
    constraint decides); an interrupted one is resumed. `here`: the command line runs it in its own process.
    """
    run = _run_of(start_job(kind="run_month", key=str(period), user=user, here=here))
    run.refresh_from_db()
    return run


def resume_pre_billing(run: BillingRun) -> BillingRun:
    """Take an interrupted (or failed) run again: it converges to the drafts an uninterrupted run gives. A run
    going or done is returned as it is."""
    if run.shown_status not in ("interrupted", "failed"):
        return run
    if run.job is None:  # a run of before the jobs: start the month again
        BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING).update(
            status=BillingRun.Status.FAILED, finished_at=timezone.now(), error="interrupted")
        return start_pre_billing(period=Period.of(run.period), user=run.started_by)
    run = _run_of(resume_job(run.job))
    run.refresh_from_db()
    return run


def _run_of(job) -> BillingRun:
    run, _ = BillingRun.objects.get_or_create(job=job, defaults={
        "period": Period.parse(job.key).first_day, "started_at": timezone.now(), "started_by": job.created_by})
    return run


@handler("run_month")
def _run_month(job, progress) -> dict:
    """The job of a month's run: idempotent, a run taken again after a crash rebuilds the same drafts."""
    run = _run_of(job)
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRun.Status.RUNNING, error="", finished_at=None)
    return run_pre_billing(period=Period.parse(job.key), user=job.created_by, run=run, progress=progress).as_json()


class SpecialActionRefused(Refusal):
    """Reordering lines and typing designations is kept for users with the 'special actions' permission."""


def _check_special_actions(user) -> None:
    """user None is the command line, run by the operator of the installation."""
    if user is not None and not user.has_perm("billing.special_actions"):
        raise SpecialActionRefused(gettext("Only users with the permission 'special actions' may do this."))


@transaction.atomic
def replace_designation(*, line_id: int, text: str, user) -> None:
    """Type a line's designation; it wins over the template and survives the next runs."""
    _check_special_actions(user)
    line = PreInvoiceLine.objects.select_for_update().get(pk=line_id)
    before = line.designation_override or line.designation
    line.designation_override = text.strip()[:500]
    line.save(update_fields=["designation_override"])
    _changed_by_hand(line.pre_invoice_id, gettext("designation typed: %(text)s") % {"text": line.designation_override[:80]})
    record(user=user, action="replace_designation", obj=line, before={"designation": before},
           after={"designation": line.designation_override})


@transaction.atomic
def reorder_lines(*, pre_invoice_id: int, line_ids: list[int], user, expected_version: int | None = None) -> None:
    """Put the pre-invoice's lines in the given order; the order survives the next runs. `expected_version`:
    the version the clerk reordered (refused when the pre-invoice changed since)."""
    _check_special_actions(user)
    head = PreInvoice.objects.filter(pk=pre_invoice_id).values("period").first()
    if head is None:
        raise EditRefused(removed_draft(pre_invoice_id)["detail"])
    drafts_lock(head["period"])  # rebuilds rewrite the lines of the month's drafts under it
    pre = PreInvoice.objects.select_for_update().filter(pk=pre_invoice_id).values("version", "last_change").first()
    if pre is None:
        raise EditRefused(removed_draft(pre_invoice_id)["detail"])
    if expected_version is not None and expected_version != pre["version"]:
        raise EditRefused(changed_since(expected_version, pre["version"], pre["last_change"]))
    lines = {line.pk: line for line in PreInvoiceLine.objects.select_for_update().filter(pre_invoice_id=pre_invoice_id)}
    if sorted(line_ids) != sorted(lines):
        raise EditRefused(gettext("Give every line of the pre-invoice once."))
    before = [line.pk for line in sorted(lines.values(), key=lambda line: line.position)]
    for position, pk in enumerate(line_ids, start=1):
        lines[pk].position = lines[pk].manual_position = position
    PreInvoiceLine.objects.bulk_update(lines.values(), ["position", "manual_position"])
    _changed_by_hand(pre_invoice_id, gettext("lines reordered"))
    record(user=user, action="reorder_lines", obj=PreInvoice(pk=pre_invoice_id), before={"order": before},
           after={"order": line_ids})


def _changed_by_hand(pre_invoice_id: int, change: str) -> None:
    """What a user sees changed: the version a validation must be shown goes up."""
    PreInvoice.objects.filter(pk=pre_invoice_id).update(version=F("version") + 1, last_change=change[:500],
                                                         updated_at=timezone.now())


class EditRefused(Refusal):

    """The document refuses the edit (a draft's lines come from its items; a line order must name each once)."""


@transaction.atomic
def duplicate_pre_invoice(*, pre_invoice_id: int, user) -> PreInvoice:
    """Copy a pre-invoice into a draft typed by hand: same parties and terms, same lines, no billable item.

    Runs leave the copy alone; validating it invoices its lines once more, outside the items' ledger,
    which is why it is a special action.
    """
    _check_special_actions(user)
    source = PreInvoice.objects.select_related("client").get(pk=pre_invoice_id)
    copy = PreInvoice.objects.create(
        **{f.attname: getattr(source, f.attname) for f in PreInvoice._meta.concrete_fields
           if f.attname not in ("id", "document_key", "grouping_reason", "version", "content_hash", "last_change",
                                "copied_from", "source", "run_id", "created_at", "updated_at")},
        document_key=f"copy|{uuid.uuid4().hex}", copied_from=f"#{source.pk}", source=PreInvoice.Source.COPY,
        grouping_reason=gettext("copy of pre-invoice #%(pk)s") % {"pk": source.pk},
    )
    PreInvoiceLine.objects.bulk_create(
        PreInvoiceLine(pre_invoice=copy, position=line.position, kind=line.kind, line_key=line.line_key,
                       article_id=line.article_id, designation=line.designation_override or line.designation,
                       quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, amount=line.amount,
                       vat_rate=line.vat_rate, service_start=line.service_start, service_end=line.service_end)
        for line in source.lines.order_by("position"))
    PreInvoiceVat.objects.bulk_create(
        PreInvoiceVat(pre_invoice=copy, rate=v.rate, base=v.base, vat=v.vat) for v in source.vat_lines.all())
    record(user=user, action="duplicate", obj=copy, before={"pre_invoice": source.pk},
           after={"copy": copy.pk, "total_excluding_vat": str(copy.total_excluding_vat)})
    return copy


def _copy_line(line_id: int) -> PreInvoiceLine:
    line = PreInvoiceLine.objects.select_for_update().select_related("pre_invoice").filter(pk=line_id).first()
    if line is None:
        raise EditRefused(gettext("This line no longer exists."))
    if not line.pre_invoice.is_copy:
        raise EditRefused(gettext("Only the lines of a copy are typed by hand; a draft's lines come from its "
                                  "billable items (change the time or the installment instead)."))
    return line


def _retotal(copy: PreInvoice) -> None:
    """VAT per rate and totals of a copy, from its lines, exactly."""
    breakdown = vat_breakdown((line.vat_rate, line.amount) for line in copy.lines.all())
    total = totals(breakdown)
    PreInvoiceVat.objects.filter(pre_invoice=copy).delete()
    PreInvoiceVat.objects.bulk_create(
        PreInvoiceVat(pre_invoice=copy, rate=v.rate, base=v.base, vat=v.vat) for v in breakdown)
    copy.total_excluding_vat, copy.total_vat, copy.total_including_vat = (
        total.excluding_vat, total.vat, total.including_vat)
    copy.save(update_fields=["total_excluding_vat", "total_vat", "total_including_vat"])
    _changed_by_hand(copy.pk, gettext("lines typed"))


@transaction.atomic
def change_copy_line(*, line_id: int, quantity: Decimal, unit_price: Decimal, user) -> PreInvoiceLine:
    """Type the quantity and unit price of a copy's line; its amount, VAT and totals follow."""
    _check_special_actions(user)
    line = _copy_line(line_id)
    if quantity <= 0 or unit_price < 0:
        raise EditRefused(gettext("A line bills a positive quantity at a price of zero or more."))
    before = {"quantity": str(line.quantity), "unit_price": str(line.unit_price), "amount": str(line.amount)}
    line.quantity, line.unit_price, line.amount = quantity, unit_price, round_money(quantity * unit_price)
    line.save(update_fields=["quantity", "unit_price", "amount"])
    _retotal(line.pre_invoice)
    record(user=user, action="change_copy_line", obj=line, before=before,
           after={"quantity": str(quantity), "unit_price": str(unit_price), "amount": str(line.amount)})
    return line


@transaction.atomic
def remove_copy_line(*, line_id: int, user) -> None:
    _check_special_actions(user)
    line = _copy_line(line_id)
    copy = line.pre_invoice
    if copy.lines.count() == 1:
        raise EditRefused(gettext("A copy keeps at least one line: delete the copy instead."))
    record(user=user, action="remove_copy_line", obj=line,
           before={"designation": line.designation, "amount": str(line.amount)}, after={})
    line.delete()
    _retotal(copy)


@transaction.atomic
def delete_copy(*, pre_invoice_id: int, user) -> None:
    _check_special_actions(user)
    copy = PreInvoice.objects.select_for_update().filter(pk=pre_invoice_id).first()
    if copy is None or not copy.is_copy:
        raise EditRefused(gettext("Only a copy can be deleted; a draft follows its billable items."))
    record(user=user, action="delete_copy", obj=copy,
           before={"copied_from": copy.copied_from, "total_excluding_vat": str(copy.total_excluding_vat)}, after={})
    RemovedDraft.objects.create(pre_invoice_id=copy.pk, period=copy.period, client_id=copy.client_id,
                                document_key=copy.document_key, why=RemovedDraft.Why.DELETED, removed_at=timezone.now())
    copy.delete()


# Which invoice the rebillable costs go on (prebill.costs declares them; their items are billing's) -------

def _pending_costs() -> Q:
    return Q(kind__in=REBILLABLE_KINDS, status=BillableItem.Status.PENDING)


@retrying
def group_by_collaborator(*, period: Period, collaborator_id: int, on: bool = True, user=None) -> int:
    """All the collaborator's untreated costs of the month onto one invoice (or back to their own)."""
    costs = BillableItem.objects.filter(_pending_costs(), period=period.first_day, collaborator_id=collaborator_id)
    clients = set(costs.values_list("engagement__client_id", flat=True))
    count = costs.update(grouped_by_collaborator=on)
    record(user=user, action="group_costs_by_collaborator", obj=BillableItem(pk=0), before={},
           after={"collaborator": collaborator_id, "period": str(period), "on": on, "items": count})
    rebuild_drafts(period, clients=clients)
    return count


@retrying
def join_fixed_fee(*, item_id: int, installment_item_id: int | None, user=None) -> BillableItem:
    """Put a cost on the fixed-fee invoice of its engagement (None: back on its own). Refused, saying why,
    when it is another engagement or the billing terms differ (address, conditions, currency...)."""
    item = BillableItem.objects.select_for_update(of=("self",)).select_related("engagement").filter(
        _pending_costs(), pk=item_id).first()
    if item is None:
        raise CostRefused(gettext("This cost is not waiting for an invoice."))
    ctx = PortfolioContext.load([item.engagement.client_id])
    left = item.period
    before = {"grouping": item.grouping}
    if installment_item_id is None:
        item.joins_installment = None
    else:
        fee = BillableItem.objects.filter(pk=installment_item_id, installment__isnull=False,
                                          status=BillableItem.Status.PENDING).first()
        if fee is None:
            raise CostRefused(gettext("This fixed fee is not waiting for an invoice."))
        if fee.engagement_id != item.engagement_id:
            raise CostRefused(gettext("A cost joins a fixed fee of its own engagement only."))
        mine = ctx.terms(item.engagement_id, item.invoice_date)
        theirs = ctx.terms(fee.engagement_id, fee.invoice_date)
        if difference := terms_change(dataclasses.replace(mine, invoice_date=fee.invoice_date), theirs):
            raise CostRefused(gettext("It cannot join that invoice: %(what)s.") % {"what": difference})
        item.joins_installment_id = fee.installment_id
        item.period, item.invoice_date = fee.period, fee.invoice_date
    item.save(update_fields=["joins_installment", "period", "invoice_date", "updated_at"])
    record(user=user, action="join_fixed_fee", obj=item, before=before, after={"grouping": item.grouping})
    refresh_drafts([item.pk], ctx, also_periods=[left])  # the fee's month, and the month it left if it moved
    return item

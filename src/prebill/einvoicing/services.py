"""E-invoicing through the firm's Plateforme Agréée: transmitting invoices, following their life cycle, declaring
the money received (212), looking clients up in the directory.

Every sending is a row first (`Transmission`, `PaymentReport`), queued in the validation's or the allocation's
transaction: nothing is lost when the platform is down or a worker stops. A sender claims a row for a while, sends
it outside any transaction, and records the answer; a failure that may pass later is retried with back-off
(PREBILL_PA_RETRY_SECONDS doubled each time, PREBILL_PA_ATTEMPTS times), then left "could not be sent" for a user
to send again. The tracking id is ours and the platform keeps one flow per tracking id, so a retry after a time-out
whose request did arrive makes no second flow. Statuses come back as flows of the platform: `follow()` searches
those changed since the last it saw (a webhook only says when to look), records each status once by the id of the
flow carrying it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from prebill.audit.services import record
from prebill.core.ereporting import Flow, ReportingPeriod, closed_periods
from prebill.core.money import money_sum, split_in_proportion
from prebill.core.refusals import Refusal
from prebill.documents.issued import issued_document
from prebill.invoicing.models import Invoice
from prebill.jobs.services import background, later
from prebill.locks import named_lock
from prebill.organisation.models import Organisation

from . import cdar, ereporting, xmlsafe
from .lifecycle import STATUSES, Role
from .models import FollowPoint, LifecycleEvent, PaymentReport, Report, Sending, Transmission, Webhook
from .platform import PlatformClient, PlatformError, PlatformRefused, PlatformSettings

logger = logging.getLogger(__name__)
State = Sending.State
CLAIM = timedelta(minutes=5)  # a sender that stopped mid-way leaves the row to the next one after this
SYNTAXES = {"Factur-X": ("pdf", "application/pdf", ".pdf"), "CII": ("cii", "application/xml", "-cii.xml"),
            "UBL": ("ubl", "application/xml", "-ubl.xml")}
REJECTED_STATUSES = (213, 501)  # never validly received: correct with a credit note and a new invoice


class EinvoicingRefused(Refusal):
    """An e-invoicing action is refused; the message says why."""


def platform() -> PlatformClient | None:
    """The client of the firm's platform, or None when none is configured (PREBILL_PA_URL)."""
    if not settings.PREBILL_PA_URL:
        return None
    return PlatformClient(PlatformSettings(
        base_url=settings.PREBILL_PA_URL, client_id=settings.PREBILL_PA_CLIENT_ID,
        client_secret=settings.PREBILL_PA_CLIENT_SECRET, organization=settings.PREBILL_PA_ORGANIZATION,
        token_url=settings.PREBILL_PA_TOKEN_URL, timeout_seconds=settings.PREBILL_PA_TIMEOUT_SECONDS))


def _required_platform() -> PlatformClient:
    client = platform()
    if client is None:
        raise EinvoicingRefused(gettext("No Plateforme Agréée is configured (PREBILL_PA_URL)."))
    return client


# ---------------------------------------------------------------------------------------------- queueing


def is_e_invoiced(invoice: Invoice) -> bool:
    """Domestic B2B invoices go through the e-invoicing flow; the others (consumers, foreign buyers, out of scope)
    are e-reported instead."""
    return invoice.buyer_category == "B2B"


def queue_transmission(invoice: Invoice) -> Transmission | None:
    """The transmission of a newly issued invoice or credit note (inside its validation), sent once committed."""
    if not is_e_invoiced(invoice):
        return None
    transmission, _ = Transmission.objects.get_or_create(invoice=invoice, defaults={
        "tracking_id": f"prebill-{invoice.number}"[:64], "syntax": settings.PREBILL_PA_SYNTAX,
        "next_attempt_at": timezone.now()})
    credited = invoice.credited_invoice_id and Transmission.objects.filter(
        invoice_id=invoice.credited_invoice_id, resolved_at__isnull=True).filter(
        Q(state__in=[State.REJECTED, State.FAILED]) | Q(status__in=[210, *REJECTED_STATUSES])).first()
    if credited:  # the credit note settles the rejected invoice: the task is done
        Transmission.objects.filter(pk=credited.pk).update(resolved_at=timezone.now())
        record(user=None, action="einvoicing_resolved", obj=credited.invoice, after={"credit_note": invoice.number})
    later("einvoicing.send_due")
    return transmission


def _received_per_rate(invoice: Invoice, amount: Decimal) -> list[dict]:
    """`amount` received for `invoice`, per VAT rate in proportion to what each rate owes (incl. VAT); the payment
    that pays it off takes exactly what is left of each rate."""
    # Débours (their own 0 % group, category E) are received at rate 0 with any genuine 0 % base: the 212 gives
    # one amount per rate, and its amounts still add up to the payment.
    per_rate: dict[Decimal, Decimal] = {}
    for line in invoice.vat_lines.all():
        per_rate[line.rate] = per_rate.get(line.rate, Decimal("0")) + line.base + line.vat
    owed = list(per_rate.items())
    if not owed:
        return [{"rate": "0.00", "amount": str(amount)}]
    reported: dict[str, Decimal] = {}
    # A correction counts negative; a report cancelled before it was sent never counted.
    for report in PaymentReport.objects.filter(invoice=invoice).exclude(state=State.CANCELLED):
        for part in report.amounts:
            reported[part["rate"]] = reported.get(part["rate"], Decimal("0")) + Decimal(part["amount"])
    already = money_sum(reported.values())
    if already + amount == money_sum(total for _, total in owed):
        shares = [total - reported.get(str(rate), Decimal("0")) for rate, total in owed]
    else:
        shares = split_in_proportion(amount, [total for _, total in owed])
    return [{"rate": str(rate), "amount": str(share)} for (rate, _), share in zip(owed, shares, strict=True) if share]


def report_payment(allocation) -> PaymentReport | None:
    """Status 212 Encaissée for money allocated to an e-invoiced invoice, when its VAT is due on receipts (services,
    no option for debits): queued with the allocation, sent once the platform has the invoice."""
    invoice = allocation.invoice
    if not is_e_invoiced(invoice) or Organisation.objects.values_list("vat_on_debits", flat=True).first():
        return None
    report = PaymentReport.objects.create(
        invoice=invoice, allocation=allocation, received_on=allocation.payment.date, total=allocation.amount,
        amounts=_received_per_rate(invoice, allocation.amount), tracking_id=f"prebill-212-{allocation.pk}",
        next_attempt_at=timezone.now())
    later("einvoicing.send_due")
    return report


def correct_payment_report(allocation) -> PaymentReport | None:
    """An allocation removed (payments.signals.allocation_removed): its 212 no longer holds. Never sent (waiting and
    not being sent, given up, or rejected: the platform recorded nothing), it is cancelled; sent, a correction is
    queued: the same invoice, the opposite amounts per rate, its own tracking id, sent after it like any 212."""
    report = PaymentReport.objects.filter(allocation_id=allocation.pk).exclude(state=State.CANCELLED).first()
    if report is None or PaymentReport.objects.filter(corrects=report).exists():
        return None
    now = timezone.now()
    unsent = (Q(state=State.WAITING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
              | Q(state__in=[State.FAILED, State.REJECTED]))
    if PaymentReport.objects.filter(unsent, pk=report.pk).update(state=State.CANCELLED, next_attempt_at=None,
                                                                 claimed_until=None):
        report.refresh_from_db()
        return report
    correction = PaymentReport.objects.create(
        invoice_id=report.invoice_id, corrects=report, received_on=report.received_on, total=-report.total,
        amounts=[{"rate": part["rate"], "amount": str(-Decimal(part["amount"]))} for part in report.amounts],
        tracking_id=f"{report.tracking_id}-correction", next_attempt_at=now)
    later("einvoicing.send_due")
    return correction


# ---------------------------------------------------------------------------------------------- sending


def _claim(model, pk: int) -> bool:
    now = timezone.now()
    return bool(model.objects.filter(pk=pk, state=State.WAITING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)).update(claimed_until=now + CLAIM))


def _due(model):
    now = timezone.now()
    return model.objects.filter(state=State.WAITING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _retry_or_fail(model, pk: int, attempts: int, error: PlatformError) -> None:
    """A failure: try again after a longer wait, or give up (then a user sends it again) when it cannot pass."""
    gave_up = isinstance(error, PlatformRefused) or attempts >= settings.PREBILL_PA_ATTEMPTS
    wait = settings.PREBILL_PA_RETRY * 2 ** (attempts - 1)
    model.objects.filter(pk=pk).update(
        attempts=attempts, last_error=str(error)[:2000], claimed_until=None,
        state=State.FAILED if gave_up else State.WAITING,
        next_attempt_at=None if gave_up else timezone.now() + min(wait, settings.PREBILL_PA_RETRY_MAX))


@dataclass(frozen=True)
class Outgoing:
    """What one sending puts in its flow."""

    name: str
    syntax: str
    content: bytes
    processing_rule: str
    content_type: str = "application/xml"


def _send(model, pk: int, client: PlatformClient | None, outgoing) -> bool:
    """Send the waiting row `pk` of `model` (a Sending) if nobody else is; True when the platform took it. The
    flow is `outgoing(row)`; a failure is retried or given up (_retry_or_fail)."""
    client = client or _required_platform()
    if not _claim(model, pk):
        return False
    row = model.objects.get(pk=pk)
    attempts = row.attempts + 1
    try:
        flow = outgoing(row)
        answer = client.send_flow(name=flow.name, syntax=flow.syntax, content=flow.content,
                                  tracking_id=row.tracking_id, processing_rule=flow.processing_rule,
                                  content_type=flow.content_type, sha256=hashlib.sha256(flow.content).hexdigest())
    except PlatformError as error:
        logger.warning("%s %s not sent (attempt %s): %s", model.__name__, row.tracking_id, attempts, error)
        _retry_or_fail(model, pk, attempts, error)
        return False
    model.objects.filter(pk=pk).update(state=State.SENT, flow_id=answer["flowId"], attempts=attempts,
                                       sent_at=timezone.now(), claimed_until=None, last_error="", next_attempt_at=None)
    return True


def _invoice_flow(transmission: Transmission) -> Outgoing:
    kind, content_type, suffix = SYNTAXES[transmission.syntax]
    return Outgoing(name=f"{transmission.invoice.number}{suffix}", syntax=transmission.syntax,
                    content=issued_document(transmission.invoice, kind),  # the kept bytes, rendered now if not yet
                    processing_rule="B2B", content_type=content_type)


def send_transmission(transmission_id: int, client: PlatformClient | None = None) -> bool:
    """Send one waiting transmission (the invoice's kept document) if nobody else is."""
    return _send(Transmission, transmission_id, client, _invoice_flow)


def _payment_message(report: PaymentReport) -> bytes:
    invoice = report.invoice
    seller = cdar.Party(Role.SELLER, siren=invoice.seller_siren, name=invoice.seller_name,
                        electronic_address=invoice.seller_siren)
    buyer = cdar.Party(Role.BUYER, siren=invoice.buyer_siren or None, name=invoice.buyer_name,
                       electronic_address=invoice.buyer_siren or None)
    return cdar.status_message_xml(cdar.StatusMessage(
        message_id=report.tracking_id, issued_at=timezone.now(), status=212, invoice_number=invoice.number,
        invoice_date=invoice.issue_date, seller_siren=invoice.seller_siren, sender=seller, issuer=seller,
        recipients=(buyer,), invoice_type="381" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "380",
        amounts=tuple(cdar.CollectedAmount(Decimal(part["amount"]), Decimal(part["rate"]), invoice.currency)
                      for part in report.amounts),
        received_on=report.received_on))


def send_payment_report(report_id: int, client: PlatformClient | None = None) -> bool:
    return _send(PaymentReport, report_id, client, lambda report: Outgoing(
        name=f"{report.invoice.number}-212-{report.pk}.xml", syntax="CDAR", content=_payment_message(report),
        processing_rule="B2B"))


@dataclass
class Round:
    """What one pass of the sender and the follower did."""

    sent: int = 0
    failed: int = 0
    statuses: int = 0


@background("einvoicing.send_due")
def send_due(*, follow_after: bool = False) -> Round:
    """Send what is due (transmissions, then the payment reports of invoices the platform has), then follow."""
    done = Round()
    client = platform()
    if client is None:
        return done
    queues = ((_due(Transmission).order_by("pk"), send_transmission),
              # a 212 only once the platform has its invoice
              (_due(PaymentReport).filter(invoice__transmission__state=State.ACCEPTED).order_by("pk"),
               send_payment_report),
              (_due(Report).order_by("period_first", "flow"), send_report))
    for due, send in queues:
        for pk in due.values_list("pk", flat=True)[:500]:
            if send(pk, client):
                done.sent += 1
            else:
                done.failed += 1
    if follow_after:
        done.statuses = follow(client)
    return done


@background("einvoicing.tick")
def tick() -> Round:
    """The scheduler's pass: prepare the e-reporting of periods just ended, send what is due (retries included)
    and follow the flows."""
    if platform() is not None:
        prepare_reports()
    return send_due(follow_after=True)


def send_again(transmission: Transmission, *, user=None) -> Transmission:
    """A transmission that could not be sent is queued again (the cause fixed: settings, platform back)."""
    if transmission.state != State.FAILED:
        raise EinvoicingRefused(gettext("Invoice %(number)s is not waiting to be sent again.")
                                % {"number": transmission.invoice.number})
    Transmission.objects.filter(pk=transmission.pk).update(state=State.WAITING, attempts=0, claimed_until=None,
                                                           next_attempt_at=timezone.now())
    record(user=user, action="einvoicing_send_again", obj=transmission.invoice, before={"error": transmission.last_error})
    later("einvoicing.send_due")
    transmission.refresh_from_db()
    return transmission


# ---------------------------------------------------------------------------------------------- following


def follow(client: PlatformClient | None = None) -> int:
    """Read the flows the platform changed since the last time (its search, page after page by cursor) and record
    the acknowledgements of ours and the statuses it sent; the number of statuses recorded."""
    client = client or _required_platform()
    recorded = 0
    # Two followers at once (a webhook and the scheduler) do no harm: each status is recorded once by its flow's id,
    # and the point only moves forward.
    point, _ = FollowPoint.objects.get_or_create(pk=1)
    where = {"updatedAfter": point.updated_after} if point.updated_after else {"flowDirection": ["In", "Out"]}
    cursor, last = None, point.updated_after
    while True:
        page = client.search_flows(where, cursor=cursor)
        for flow in page.get("results") or []:
            recorded += _take(client, flow)
            last = max(last, flow.get("updatedAt") or "")
        cursor = page.get("nextCursor")
        if not cursor:
            break
    # The PA's timestamps are ISO 8601 in UTC with milliseconds: their order is the order of the strings.
    FollowPoint.objects.filter(pk=point.pk, updated_after__lt=last).update(updated_after=last)
    FollowPoint.objects.filter(pk=point.pk).update(followed_at=timezone.now())
    return recorded


@background("einvoicing.follow")
def follow_now() -> int:
    """A webhook said something changed: follow (nothing when no platform is configured)."""
    client = platform()
    return follow(client) if client else 0


def register_webhook(callback_url: str) -> Webhook:
    """Ask the platform to call `callback_url` when a flow for us changes; its signing key is kept to check calls."""
    found = Webhook.objects.filter(callback_url=callback_url).first()
    if found:  # registered at an earlier start
        return found
    answer = _required_platform().create_webhook(callback_url)
    return Webhook.objects.create(webhook_id=answer["webhookId"], callback_url=callback_url,
                                  signing_key=answer["signingKey"])


def _moment(value: str | None) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else timezone.now()


def _take(client: PlatformClient, flow: dict) -> int:
    """One flow of the search: the acknowledgement of one of ours, or a status the platform sent."""
    ack = (flow.get("acknowledgement") or {})
    if flow.get("flowDirection") == "Out":
        _acknowledged(flow.get("trackingId") or "", flow, ack.get("status"), ack.get("details") or [])
        return 0
    if flow.get("flowSyntax") != "CDAR" or LifecycleEvent.objects.filter(flow_id=flow["flowId"]).exists():
        return 0
    try:
        message = cdar.parse_status_message(client.flow_document(flow["flowId"]))
    except (cdar.CdarError, xmlsafe.NotXml, PlatformError) as error:
        logger.warning("status flow %s not read: %s", flow.get("flowId"), error)
        return 0
    transmission = Transmission.objects.filter(invoice__number=message.invoice_number).first()
    if transmission is None or message.status not in STATUSES:
        logger.warning("status %s for unknown invoice %s", message.status, message.invoice_number)
        return 0
    return int(record_status(transmission, code=message.status, at=message.issued_at, by=message.issuer.role,
                             flow_id=flow["flowId"],
                             reasons=[{"code": r.code, "text": r.text} for r in message.reasons]))


def _acknowledged(tracking_id: str, flow: dict, status: str | None, details: list[dict]) -> None:
    errors = "; ".join(f"{d.get('item', '')} {d.get('reasonMessage') or d.get('reasonCode', '')}".strip()
                       for d in details if d.get("level", "Error") == "Error")[:2000]
    if tracking_id.startswith(REPORT_PREFIX):
        if status in ("Ok", "Error"):
            Report.objects.filter(tracking_id=tracking_id, state=State.SENT).update(
                state=State.ACCEPTED if status == "Ok" else State.REJECTED, last_error=errors)
        return
    report = PaymentReport.objects.filter(tracking_id=tracking_id).select_related("invoice").first()
    if report is not None:
        if status == "Ok" and report.state != State.ACCEPTED:
            PaymentReport.objects.filter(pk=report.pk).update(state=State.ACCEPTED)
            transmission = Transmission.objects.filter(invoice=report.invoice).first()
            if transmission:
                text = f"{report.total} {report.invoice.currency}"
                if report.corrects_id:  # the correction of an allocation removed: negative amounts
                    text += " (correction)"
                record_status(transmission, code=212, at=_moment(flow.get("updatedAt")), by=Role.SELLER.value,
                              flow_id=flow["flowId"], reasons=[{"code": "", "text": text}])
        elif status == "Error":
            PaymentReport.objects.filter(pk=report.pk).update(state=State.REJECTED, last_error=errors)
        return
    if status == "Error":  # the statuses 213 or 501 say it too, with the rules: this keeps the details
        Transmission.objects.filter(tracking_id=tracking_id).exclude(state=State.REJECTED).update(
            state=State.REJECTED, last_error=errors)
    elif status == "Ok":
        Transmission.objects.filter(tracking_id=tracking_id, state=State.SENT).update(state=State.ACCEPTED)


@transaction.atomic
def record_status(transmission: Transmission, *, code: int, at: datetime, by: str, flow_id: str,
                  reasons: list[dict]) -> bool:
    """Record a life-cycle status once (by its flow); the invoice's status is the latest. False: known already."""
    _, created = LifecycleEvent.objects.get_or_create(flow_id=flow_id, defaults={
        "transmission": transmission, "code": code, "at": at, "issued_by": by, "reasons": reasons})
    if not created:
        return False
    transmission = Transmission.objects.select_for_update().get(pk=transmission.pk)
    changes: dict = {}
    if transmission.status_at is None or at >= transmission.status_at:
        changes.update(status=code, status_at=at)
    if code in REJECTED_STATUSES:
        changes.update(state=State.REJECTED, last_error="; ".join(f"{r['code']} {r['text']}".strip() for r in reasons))
    elif transmission.state == State.SENT:
        changes.update(state=State.ACCEPTED)
    Transmission.objects.filter(pk=transmission.pk).update(**changes)
    if code in (210, *REJECTED_STATUSES):
        record(user=None, action="einvoicing_status", obj=transmission.invoice,
               after={"status": code, "label": STATUSES[code].label, "reasons": reasons})
    return True


# ---------------------------------------------------------------------------------------------- e-reporting

REPORT_PREFIX = "prebill-report-"
PROCESSING_RULES = {Flow.UNITARY_TRANSACTIONS: "B2BInt", Flow.UNITARY_PAYMENTS: "B2BInt",
                    Flow.AGGREGATED_TRANSACTIONS: "B2C", Flow.AGGREGATED_PAYMENTS: "B2C"}


def _declarant(org: Organisation) -> dict:
    return {"siren": org.siren, "name": org.legal_name, "vatNumber": org.vat_number,
            "regime": org.vat_return_regime}


def _report(flow: Flow, period: ReportingPeriod, org: Organisation, version: int) -> Report:
    tracking_id = f"{REPORT_PREFIX}{flow.value}-{period.first:%Y%m%d}-v{version}"
    content = ereporting.build(flow, period, declarant=_declarant(org), tracking_id=tracking_id,
                               issued_at=timezone.now())
    return Report.objects.create(
        flow=flow.value, period_first=period.first, period_last=period.last, version=version,
        tracking_id=tracking_id, entries=content.entries, total_excluding_vat=content.total_excluding_vat,
        total_vat=content.total_vat, content=content.xml, sha256=hashlib.sha256(content.xml).hexdigest(),
        next_attempt_at=timezone.now())


def prepare_reports(today=None) -> list[Report]:
    """The e-reporting flows of every period ended since the firm reports (Organisation.e_reporting_from) that
    has none yet, at the frequency of its VAT return regime; a period with nothing to declare is declared empty."""
    org = Organisation.objects.first()
    if org is None or org.e_reporting_from is None:
        return []
    today = today or timezone.localdate()
    made: list[Report] = []
    with transaction.atomic():
        named_lock("einvoicing.reports")  # two passes at once prepare each period once
        done = set(Report.objects.values_list("flow", "period_first"))
        for payments in (False, True):
            for period in closed_periods(org.e_reporting_from, today, org.vat_return_regime, payments=payments):
                for flow in Flow:
                    if flow.is_payments == payments and (flow.value, period.first) not in done:
                        made.append(_report(flow, period, org, 1))
    if made:
        later("einvoicing.send_due")
    return made


def prepare_again(report: Report, *, user=None) -> Report:
    """A rejected report is prepared again from the data as they are now, as the next version of its period."""
    if report.state != State.REJECTED:
        raise EinvoicingRefused(gettext("Only a rejected report is prepared again."))
    with transaction.atomic():
        named_lock("einvoicing.reports")
        latest = Report.objects.filter(flow=report.flow, period_first=report.period_first).order_by("-version").first()
        if latest.pk != report.pk:
            raise EinvoicingRefused(gettext("Version %(version)s of this report exists already.")
                                    % {"version": latest.version})
        again = _report(Flow(report.flow), ReportingPeriod(report.period_first, report.period_last),
                        Organisation.objects.get(), report.version + 1)
        record(user=user, action="einvoicing_report_again", obj=again, before={"rejected": report.last_error})
    later("einvoicing.send_due")
    return again


PAYMENT_FLOWS = (Flow.UNITARY_PAYMENTS, Flow.AGGREGATED_PAYMENTS)


def declare_payments_again(day, *, user=None) -> list[Report]:
    """Money taken back (an allocation removed, a payment cancelled) that a payment report (10.2, 10.4) of its
    period had declared: that period is declared again, as its next version, from the payments as they are now.
    A version not sent yet is cancelled rather than sent. Nothing happens when the period was not reported, was
    rejected (the clerk prepares it again), or would say the same (an e-invoiced client's money is not in it)."""
    org = Organisation.objects.get()
    again = []
    with transaction.atomic():
        named_lock("einvoicing.reports")
        for flow in PAYMENT_FLOWS:
            latest = (Report.objects.filter(flow=flow.value, period_first__lte=day, period_last__gte=day)
                      .order_by("-version").first())
            if latest is None or latest.state in (State.REJECTED, State.CANCELLED):
                continue
            period = ReportingPeriod(latest.period_first, latest.period_last)
            now = ereporting.build(flow, period, declarant=_declarant(org), tracking_id=latest.tracking_id,
                                   issued_at=timezone.now())
            if (now.entries, now.total_excluding_vat, now.total_vat) == (
                    latest.entries, latest.total_excluding_vat, latest.total_vat):
                continue
            _cancel_if_unsent(latest)
            again.append(_report(flow, period, org, latest.version + 1))
            record(user=user, action="einvoicing_report_again", obj=again[-1],
                   before={"version": latest.version, "total": str(latest.total_excluding_vat)})
    if again:
        later("einvoicing.send_due")
    return again


def _cancel_if_unsent(report: Report) -> bool:
    """A report still waiting, and not being sent at this moment, is taken out of the queue."""
    return bool(Report.objects.filter(pk=report.pk, state=State.WAITING).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now())).update(state=State.CANCELLED))


def send_report(report_id: int, client: PlatformClient | None = None) -> bool:
    return _send(Report, report_id, client, lambda report: Outgoing(
        name=f"{report.tracking_id}.xml", syntax="FRR", content=bytes(report.content),
        processing_rule=PROCESSING_RULES[Flow(report.flow)]))


def reports_to_correct():
    """Rejected reports and those that could not be sent, each the latest version of its period."""
    newer = Report.objects.filter(flow=OuterRef("flow"), period_first=OuterRef("period_first"),
                                  version__gt=OuterRef("version"))
    return (Report.objects.filter(state__in=[State.REJECTED, State.FAILED]).exclude(Exists(newer))
            .order_by("-period_first", "flow"))


# ---------------------------------------------------------------------------------------------- directory


def look_up_client(client_row, client: PlatformClient | None = None) -> str:
    """The client's electronic address in the directory (by SIREN), kept on the client; "" when it has none."""
    client = client or _required_platform()
    if not client_row.siren:
        raise EinvoicingRefused(gettext("Client %(code)s has no SIREN to look up.") % {"code": client_row.code})
    try:
        lines = client.directory_lines(client_row.siren)
    except PlatformError as error:
        raise EinvoicingRefused(gettext("The directory could not be read: %(error)s") % {"error": error}) from None
    enabled = [line for line in lines if line.get("directoryLineStatus") == "Enabled"]
    # The company's own line (no establishment, no suffix) first: invoices not addressed to an establishment go there.
    enabled.sort(key=lambda line: (bool(line.get("siret")), bool(line.get("addressingSuffix"))))
    address = enabled[0]["addressingIdentifier"] if enabled else ""
    type(client_row).objects.filter(pk=client_row.pk).update(directory_address=address,
                                                            directory_checked_at=timezone.now())
    client_row.directory_address, client_row.directory_checked_at = address, timezone.now()
    return address


# ---------------------------------------------------------------------------------------------- reading


def statuses_of(invoice: Invoice) -> tuple[Transmission | None, list[LifecycleEvent]]:
    transmission = Transmission.objects.filter(invoice=invoice).first()
    return transmission, list(transmission.events.all()) if transmission else []


def payment_reports_of(invoice: Invoice) -> list[PaymentReport]:
    """The 212s of an invoice, in order: those declared, their corrections, those cancelled before sending."""
    return list(PaymentReport.objects.filter(invoice=invoice).order_by("pk"))


def to_correct():
    """The invoices the platform rejected or the buyer refused, and those that could not be sent: a task each."""
    return (Transmission.objects.filter(resolved_at__isnull=True)
            .filter(Q(state__in=[State.REJECTED, State.FAILED]) | Q(status__in=[210, *REJECTED_STATUSES]))
            .select_related("invoice").order_by("-status_at", "-pk"))


def summary() -> dict[str, int]:
    """How many transmissions are in each state (the e-invoicing page's counts)."""
    counts = dict(Transmission.objects.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return {state: counts.get(state, 0) for state in State.values}

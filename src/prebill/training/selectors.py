"""What pages and documents show of training: billing follow-up, linked sessions, description lines, fundings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet

from prebill.billing.models import BillableItem, PreInvoice
from prebill.clients.models import Client
from prebill.core.money import round_money
from prebill.invoicing.models import Invoice

from .models import Learner, SessionDocument, TrainingCharge, TrainingSession


def billing_follow_up(session: TrainingSession) -> tuple[list[PreInvoice], list[Invoice]]:
    items = BillableItem.objects.filter(training_charge__session=session)
    drafts = PreInvoice.objects.filter(lines__items__in=items).distinct().select_related("client").order_by("pk")
    invoices = Invoice.objects.filter(lines__item_shares__item__in=items).distinct().order_by("number")
    return list(drafts), list(invoices)


def charges_on(document: PreInvoice | Invoice) -> QuerySet[TrainingCharge]:
    """The training charges billed on a pre-invoice or an invoice, in the document's line order."""
    if isinstance(document, Invoice):
        found = TrainingCharge.objects.filter(billable_item__invoice_shares__line__invoice=document)
        order = "billable_item__invoice_shares__line__position"
    else:
        found = TrainingCharge.objects.filter(billable_item__pre_invoice_line__pre_invoice=document)
        order = "billable_item__pre_invoice_line__position"
    return found.select_related("session__product", "session__trainer", "sponsor", "billable_item").order_by(order, "pk")


@dataclass(frozen=True)
class LinkedSession:
    session: TrainingSession
    sponsors: list[Client]


@dataclass(frozen=True)
class TrainingLine:
    """A description line of a training invoice: the sponsor's part of a session and the client's share of it."""

    charge: TrainingCharge
    billing_unit: str
    vat_rate: Decimal
    total_including_vat: Decimal
    share_including_vat: Decimal


@dataclass(frozen=True)
class FundingDetail:
    """What a funder's document says of each funding it pays: the session as it was held."""

    charge: TrainingCharge
    learners: list[str]
    start: date
    end: date


def _with_vat(amount: Decimal, rate: Decimal) -> Decimal:
    return amount + round_money(amount * rate / 100)


def linked_sessions(charges: list[TrainingCharge]) -> list[LinkedSession]:
    """Each session once, with its sponsors once each in line order (two sponsors of one name stay two)."""
    sponsors: dict[int, dict[int, Client]] = defaultdict(dict)
    sessions = {}
    for charge in charges:
        sessions.setdefault(charge.session_id, charge.session)
        sponsors[charge.session_id].setdefault(charge.sponsor_id, charge.sponsor)
    return [LinkedSession(session, list(sponsors[pk].values())) for pk, session in sessions.items()]


def training_lines(charges: list[TrainingCharge]) -> list[TrainingLine]:
    lines = []
    for charge in charges:
        rate = charge.billable_item.vat_rate
        lines.append(TrainingLine(charge, charge.session.product.billing_unit, rate,
                                  _with_vat(charge.session_total, rate), _with_vat(charge.amount, rate)))
    return lines


def funding_details(charges: list[TrainingCharge]) -> list[FundingDetail]:
    """Per funding: the learners the sponsor sent, by name (one query for all the charges)."""
    wanted = Q()
    for charge in charges:
        wanted |= Q(session_id=charge.session_id, sponsor_id=charge.sponsor_id)
    names: dict[tuple[int, int], list[str]] = defaultdict(list)
    if charges:
        for session_id, sponsor_id, name in Learner.objects.filter(wanted).order_by("name", "pk").values_list(
                "session_id", "sponsor_id", "name"):
            names[(session_id, sponsor_id)].append(name)
    return [FundingDetail(c, names[(c.session_id, c.sponsor_id)], c.session.start, c.session.end) for c in charges]


def line_references(document: Invoice) -> dict[int, tuple[str, str]]:
    """(funder's file number, training agreement) of each training line of an invoice or credit note, by line
    id, as frozen on its charges: what the Factur-X quotes (BT-13 / BT-12, or a line note)."""
    found = TrainingCharge.objects.filter(billable_item__invoice_shares__line__invoice=document).values_list(
        "billable_item__invoice_shares__line_id", "file_number", "agreement_reference")
    references: dict[int, tuple[str, str]] = {}
    for line_id, number, agreement in found.order_by("billable_item__invoice_shares__line__position", "pk"):
        before = references.get(line_id, ("", ""))
        references[line_id] = (", ".join(filter(None, dict.fromkeys((before[0], number)))),
                               ", ".join(filter(None, dict.fromkeys((before[1], agreement)))))
    return references


def funders_proofs(document: Invoice) -> list:
    """The certificates of completion and signed attendance sheets that follow a funder's invoice: those kept
    for the sponsors it funds in each session, in line order (a sponsor's own invoice gets none)."""
    charges = [c for c in charges_on(document) if c.funded]
    kept = defaultdict(list)
    if charges:
        wanted = Q()
        for charge in charges:
            wanted |= Q(session_id=charge.session_id, sponsor_id=charge.sponsor_id)
        for kept_document in SessionDocument.objects.filter(wanted).select_related("attachment").order_by("kind", "pk"):
            kept[(kept_document.session_id, kept_document.sponsor_id)].append(kept_document.attachment)
    proofs = []
    for charge in charges:
        proofs.extend(a for a in kept.pop((charge.session_id, charge.sponsor_id), []) if a not in proofs)
    return proofs


def session_documents(session: TrainingSession) -> QuerySet[SessionDocument]:
    return session.documents.select_related("sponsor", "attachment").order_by("sponsor__code", "kind", "pk")


def sessions_to_add(pre_invoice: PreInvoice) -> QuerySet[TrainingSession]:
    """Done sessions the invoice's client funds that are neither on it nor invoiced: what its page offers to add."""
    billed = TrainingCharge.objects.filter(
        Q(billable_item__pre_invoice_line__pre_invoice=pre_invoice) | ~Q(billable_item__status=BillableItem.Status.PENDING),
        client=pre_invoice.client).values("session_id")
    return (TrainingSession.objects.filter(status=TrainingSession.Status.DONE, fundings__funder=pre_invoice.client)
            .exclude(pk__in=billed).distinct().order_by("-end", "reference"))

"""A session done becomes what its funders and sponsors owe, drafted by each funder's billing option.

Nothing here edits a draft directly: charges become billable items, and the period's drafts are
rebuilt from them, so a consolidated invoice is simply the funder's items grouped on one document.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from prebill.attachments.services import store
from prebill.audit.services import record
from prebill.billing.drafts import rebuild_drafts
from prebill.billing.models import BillableItem, PreInvoice
from prebill.clients.models import Client
from prebill.core.grouping import ItemKind, TrainingOption
from prebill.core.money import ZERO, round_money, split_in_proportion
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.engagements.models import Engagement
from prebill.locks import retrying
from prebill.organisation.models import Organisation

from .models import Funding, Learner, SessionDocument, TrainingCharge, TrainingProduct, TrainingSession

HUNDRED = Decimal(100)
REFERENCE_LENGTH = 60  # a funding's file number and agreement reference


class SessionRefused(Refusal, ValueError):
    """The session (or the invoice it should go on) refuses the action; the message says why."""


class EntryRefused(Refusal, ValueError):
    """A product or session entry that cannot be saved; `field` (its `where`) says where, e.g. "fundings[1].percent"."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message, where=field)

    def __str__(self) -> str:
        return f"{self.where}: {super().__str__()}"


@dataclass(frozen=True)
class LearnerEntry:
    name: str
    sponsor: Client


@dataclass(frozen=True)
class FundingEntry:
    funder: Client
    sponsor: Client
    amount: Decimal | None = None
    percent: Decimal | None = None
    per_learner: bool = False  # the amount is paid for each of the sponsor's learners
    file_number: str = ""  # the funder's file (dossier, prise en charge): its invoice must quote it
    agreement_reference: str = ""  # the training agreement (convention de formation)


@dataclass(frozen=True)
class Owed:
    """What one client pays of one sponsor's part of a session (a funder's share, or the sponsor's remainder)."""

    client: Client
    sponsor: Client
    learners: int
    unit_price: Decimal
    discount_percent: Decimal
    session_total: Decimal  # the sponsor's part of the session, before any funding
    amount: Decimal
    file_number: str = ""  # a funder's share: the file numbers of its fundings ("" when one has none)
    agreement_reference: str = ""  # the training agreements of the fundings

    @property
    def funded(self) -> bool:
        return self.client.pk != self.sponsor.pk


def _joined(references: list[str]) -> str:
    """Each reference once, in the order the fundings were entered."""
    return ", ".join(dict.fromkeys(reference for reference in references if reference))


def firm_billing_option() -> str:
    org = Organisation.objects.first()
    return org.training_billing if org else "pair"


def drafts_on_done() -> bool:
    """The firm's choice: a session marked done is drafted at once (the default), or its charges wait for the
    month's next run (automatic or by hand), which drafts every pending item of the month."""
    org = Organisation.objects.first()
    return org.draft_training_on_done if org else True


def billing_option(client: Client, default: str | None = None) -> str:
    """The client's own option wins; empty means the firm's default (read once by callers looping clients)."""
    return client.training_billing or default or firm_billing_option()


def what_is_owed(session: TrainingSession) -> list[Owed]:
    """Each sponsor's part of the session (discount applied; a group price shared by learners), then what
    each funder covers of it in the order fundings were entered, never beyond it; the rest is the sponsor's."""
    learners = Counter(session.learners.values_list("sponsor_id", flat=True))
    sponsor_ids = sorted(learners)
    fundings = defaultdict(list)
    for funding in session.fundings.select_related("funder").order_by("pk"):
        fundings[funding.sponsor_id].append(funding)
    sponsors = Client.objects.in_bulk(sponsor_ids)
    product, discount = session.product, session.discount_percent or ZERO
    if product.basis == product.Basis.PER_GROUP:
        parts = split_in_proportion(round_money(product.price * (HUNDRED - discount) / HUNDRED),
                                    [Decimal(learners[s]) for s in sponsor_ids])
    else:
        parts = [round_money(product.price * learners[s] * (HUNDRED - discount) / HUNDRED) for s in sponsor_ids]
    owed = []
    for sponsor_id, part in zip(sponsor_ids, parts, strict=True):
        sponsor = sponsors[sponsor_id]

        def owe(client: Client, amount: Decimal, file_number: str = "", agreement: str = "", sponsor=sponsor,
                part=part) -> Owed:
            return Owed(client, sponsor, learners[sponsor.pk], product.price, discount, part, amount, file_number,
                        agreement)

        shares: dict[int, Decimal] = {}
        funders: dict[int, Client] = {}
        numbers: dict[int, list[str]] = defaultdict(list)
        agreements: dict[int, list[str]] = defaultdict(list)
        funded = ZERO
        for funding in fundings[sponsor_id]:
            numbers[funding.funder_id].append(funding.file_number)
            agreements[funding.funder_id].append(funding.agreement_reference)
            if funding.amount is None:
                share = round_money(part * (funding.percent or 0) / HUNDRED)
            else:
                share = funding.amount * learners[sponsor_id] if funding.per_learner else funding.amount
            share = min(share, part - funded)
            funded += share
            shares[funding.funder_id] = shares.get(funding.funder_id, ZERO) + share
            funders[funding.funder_id] = funding.funder
        owed.extend(owe(funders[f], share, _joined(numbers[f]) if all(numbers[f]) else "", _joined(agreements[f]))
                    for f, share in shares.items() if share > 0)
        if part - funded > 0:  # the sponsor's remainder quotes its training agreements too
            owed.append(owe(sponsor, part - funded, "", _joined([a for f in agreements for a in agreements[f]])))
    return owed


def _refuse_without_file_number(session: TrainingSession, owed: list[Owed]) -> None:
    """A funder (an OPCO) refuses an invoice that does not quote its file number: it is typed on the session,
    which can still be changed, before its shares are charged (a done session is locked)."""
    for o in owed:
        if o.funded and not o.file_number:
            raise SessionRefused(
                gettext("Session %(reference)s: the funding of %(sponsor)s by %(funder)s has no file number. Enter "
                        "the funder's file number (prise en charge) on the session before invoicing it.")
                % {"reference": session.reference, "sponsor": o.sponsor.name, "funder": o.client.name})


def _refuse_before_the_end(session: TrainingSession, today: date) -> None:
    """A session is done, and invoiced, once it has ended: not before its last day."""
    if session.end > today:
        raise SessionRefused(gettext("Session %(reference)s ends on %(end)s: it can be marked done from that day.")
                             % {"reference": session.reference, "end": f"{session.end:%d/%m/%Y}"})


def _engagement_of(client: Client) -> Engagement:
    """Training is billed under one engagement of the client's own (its terms and address are the client's)."""
    engagement = Engagement.objects.filter(client=client, engagement_class="training").order_by("pk").first()
    if engagement is None:
        code = f"FORM-{client.code}"[:30]
        if Engagement.objects.filter(code=code).exists():  # another client's code begins alike
            code = f"FORM-{client.pk}"
        engagement = Engagement.objects.create(code=code, client=client, label="Formation", engagement_class="training")
    return engagement


def _option(owed: Owed, option: str) -> TrainingOption:
    # A consolidated funder, a sponsor's remainder, or anything invoiced by hand: the client's training draft.
    if not owed.funded:
        return TrainingOption.SPONSOR
    return TrainingOption.PAIR if option == "pair" else TrainingOption.CONSOLIDATED


def _charge(session: TrainingSession, owed: Owed, option: TrainingOption, period: Period) -> BillableItem:
    product = session.product
    charge = TrainingCharge.objects.create(
        session=session, client=owed.client, sponsor=owed.sponsor, learners=owed.learners, amount=owed.amount,
        unit_price=owed.unit_price, discount_percent=owed.discount_percent, session_total=owed.session_total,
        file_number=owed.file_number, agreement_reference=owed.agreement_reference)
    return BillableItem.objects.create(
        kind=ItemKind.TRAINING, client=owed.client, engagement=_engagement_of(owed.client), training_charge=charge,
        article=product.article, period=period.first_day, service_date=session.end,
        invoice_date=period.last_day, quantity=owed.learners, unit="apprenant",
        unit_price=(owed.amount / owed.learners).quantize(Decimal("0.0001")), amount=owed.amount,
        vat_rate=ZERO if product.vat_exempt else product.article.vat_rate, training_option=option,
        vat_exempt=product.vat_exempt,
        designation=designation(session, owed))


def designation(session: TrainingSession, owed: Owed) -> str:
    """The invoice line of a charge, in the firm's language (the invoice's): session, product, sponsor, learners,
    then the funder's file number and the training agreement an OPCO looks for."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [session.reference, session.product.label, owed.sponsor.name,
                 ngettext("%(count)s learner", "%(count)s learners", owed.learners) % {"count": owed.learners}]
        if owed.file_number:
            parts.append(gettext("file no. %(number)s") % {"number": owed.file_number})
        if owed.agreement_reference:
            parts.append(gettext("training agreement %(reference)s") % {"reference": owed.agreement_reference})
    return " — ".join(parts)[:500]


def _draft_of(item: BillableItem) -> PreInvoice:
    draft = PreInvoice.objects.filter(lines__items=item).first()
    if draft is None:  # e.g. its client's conditions leave it off this month's drafts
        raise SessionRefused(gettext("Charged, but no pre-invoice holds it: see the pre-billing of %(period)s.")
                             % {"period": f"{item.period:%Y-%m}"})
    return draft


def _refuse_if_billed_elsewhere(items, session: TrainingSession, client: Client | None = None) -> None:
    """Invoiced, or kept on a draft runs leave alone (a confirmed review, a pro forma): not ours to move."""
    names = {"reference": session.reference, "client": client.name if client else ""}
    if items.exclude(status=BillableItem.Status.PENDING).exists() or items.filter(billed_quantity__gt=0).exists():
        raise SessionRefused((gettext("Session %(reference)s is invoiced to %(client)s: credit the invoice first.")
                              if client else gettext("Session %(reference)s is invoiced: credit the invoice first."))
                             % names)
    if items.filter(pro_forma_item__isnull=False).exists() or items.filter(
            pre_invoice_line__isnull=False).exclude(pre_invoice_line__pre_invoice__source=PreInvoice.Source.RUN).exists():
        raise SessionRefused((gettext("Session %(reference)s is on a pro forma or a confirmed review to %(client)s.")
                              if client else gettext("Session %(reference)s is on a pro forma or a confirmed review."))
                             % names)


def still_to_invoice(session: TrainingSession) -> list[Owed]:
    """What is owed for the session that no charge holds yet (what invoicing by hand drafts)."""
    charged = set(session.charges.values_list("client_id", "sponsor_id"))
    return [o for o in what_is_owed(session) if (o.client.pk, o.sponsor.pk) not in charged]


@retrying
def mark_done(*, session_id: int, user=None, today: date | None = None) -> int:
    """Mark a session done and charge what it bills, drafted at once unless the firm drafts training with the
    month's run (drafts_on_done); doing it twice charges nothing more. Returns the charges made.

    Refused before the session's last day (`today`: the firm's date), and when a funder charged now has no file
    number. Clients whose option is "no automatic invoicing" get nothing now: they are invoiced by hand."""
    session = TrainingSession.objects.select_for_update().select_related("product").get(pk=session_id)
    if session.status == TrainingSession.Status.CANCELLED:
        raise SessionRefused(gettext("Session %(reference)s is cancelled.") % {"reference": session.reference})
    if session.status == TrainingSession.Status.DONE or session.charges.exists():
        return 0
    _refuse_before_the_end(session, today or timezone.localdate())
    default, period = firm_billing_option(), Period.of(session.end)
    to_charge = [(owed, option) for owed in what_is_owed(session)
                 if (option := billing_option(owed.client, default)) != "none"]
    _refuse_without_file_number(session, [owed for owed, _option_ in to_charge])
    charged = []
    for owed, option in to_charge:
        _charge(session, owed, _option(owed, option), period)
        charged.append(owed)
    made = len(charged)
    session.status = TrainingSession.Status.DONE
    session.save(update_fields=["status"])
    drafted = drafts_on_done()
    record(user=user, action="session_done", obj=session, before={}, after={"charges": made, "drafted": drafted})
    if drafted:
        rebuild_drafts(period, clients={owed.client.pk for owed in charged})
    return made


@retrying
def invoice_by_hand(*, session_id: int, client_id: int, user=None) -> PreInvoice:
    """Draft what a client owes for a done session that was not drafted automatically ("no automatic
    invoicing"); all such sessions of a month go on the client's one training draft."""
    session = TrainingSession.objects.select_for_update().select_related("product").get(pk=session_id)
    client = Client.objects.get(pk=client_id)
    names = {"reference": session.reference, "client": client.name}
    if session.status != TrainingSession.Status.DONE:
        raise SessionRefused(gettext("Session %(reference)s is not done: mark it done first.") % names)
    if not any(o.client.pk == client.pk for o in what_is_owed(session)):
        raise SessionRefused(gettext("%(client)s owes nothing for session %(reference)s.") % names)
    owed = [o for o in still_to_invoice(session) if o.client.pk == client.pk]
    if not owed:
        raise SessionRefused(gettext("Session %(reference)s is already billed to %(client)s.") % names)
    _refuse_without_file_number(session, owed)
    period = Period.of(session.end)
    items = [_charge(session, o, _option(o, "consolidated"), period) for o in owed]
    record(user=user, action="session_invoiced_by_hand", obj=session, before={}, after={"client": client.code})
    rebuild_drafts(period, clients=[client.pk])
    return _draft_of(items[0])


def is_consolidated(pre_invoice: PreInvoice) -> bool:
    """A run's training draft of a funder: the document its other sessions can join."""
    return (pre_invoice.source == PreInvoice.Source.RUN and pre_invoice.document_key.split("|")[0] == "training"
            and BillableItem.objects.filter(pre_invoice_line__pre_invoice=pre_invoice,
                                            training_charge__isnull=False).exclude(
                training_charge__client_id=pre_invoice.client_id,
                training_charge__sponsor_id=pre_invoice.client_id).exists())


@retrying
def add_session(*, pre_invoice_id: int, session_id: int, user=None) -> PreInvoice:
    """Put what the invoice's client funds in another done session on its consolidated invoice.

    Refused, saying why, when the client funds nothing there, when it is already on this invoice or
    invoiced, when the session is not done, or when its VAT treatment differs from the invoice's."""
    pre = PreInvoice.objects.select_for_update().select_related("client").filter(pk=pre_invoice_id).first()
    if pre is None:
        raise SessionRefused(gettext("Pre-invoice #%(pk)s no longer exists: the month's drafts were rebuilt.")
                             % {"pk": pre_invoice_id})
    session = TrainingSession.objects.select_for_update().select_related("product").get(pk=session_id)
    client = pre.client
    names = {"reference": session.reference, "client": client.name, "pk": pre.pk}
    if not is_consolidated(pre):
        raise SessionRefused(gettext("Pre-invoice #%(pk)s is not a consolidated training invoice.") % names)
    if session.status != TrainingSession.Status.DONE:
        raise SessionRefused(gettext("Session %(reference)s is not done: mark it done first.") % names)
    owed = [o for o in what_is_owed(session) if o.client.pk == client.pk and o.funded]
    if not owed:
        raise SessionRefused(gettext("%(client)s funds nothing in session %(reference)s.") % names)
    if session.product.vat_exempt != (pre.vat_regime == "exempt"):
        raise SessionRefused(gettext("Session %(reference)s and this invoice do not have the same VAT treatment.")
                             % names)
    items = BillableItem.objects.filter(training_charge__session=session, training_charge__client=client)
    if items.filter(pre_invoice_line__pre_invoice=pre).exists():
        raise SessionRefused(gettext("Session %(reference)s is already on this invoice.") % names)
    _refuse_if_billed_elsewhere(items, session, client)
    charged = set(items.values_list("training_charge__sponsor_id", flat=True))
    _refuse_without_file_number(session, [o for o in owed if o.sponsor.pk not in charged])
    period = Period.of(pre.period)
    option = _option(owed[0], "consolidated")
    periods = {period.first_day, *items.values_list("period", flat=True)}
    items.update(period=period.first_day, invoice_date=period.last_day, training_option=option)
    for o in owed:
        if o.sponsor.pk not in charged:
            _charge(session, o, option, period)
    record(user=user, action="session_added", obj=pre, before={}, after={"session": session.reference})
    for first_day in sorted(periods):
        rebuild_drafts(Period.of(first_day), clients=[client.pk])
    return _draft_of(items.first())


@retrying
def cancel(*, session_id: int, user=None) -> None:
    """Cancel a session; when it was done, its drafts go too (refused once something is invoiced)."""
    session = TrainingSession.objects.select_for_update().get(pk=session_id)
    items = BillableItem.objects.filter(training_charge__session=session)
    _refuse_if_billed_elsewhere(items, session)
    periods = set(items.values_list("period", flat=True))
    clients = set(items.values_list("engagement__client_id", flat=True))
    items.delete()
    session.charges.all().delete()
    session.status = TrainingSession.Status.CANCELLED
    session.save(update_fields=["status"])
    record(user=user, action="session_cancelled", obj=session, before={}, after={})
    for first_day in sorted(periods):
        rebuild_drafts(Period.of(first_day), clients=clients)


@transaction.atomic
def attach_document(*, session_id: int, sponsor_id: int, kind: str, upload, user=None) -> SessionDocument:
    """Keep a certificate of completion or signed attendance sheets of a sponsor's learners in a session (a PDF,
    PNG or JPEG checked on its content): they follow the invoices of the funders of that sponsor."""
    session = TrainingSession.objects.select_for_update().get(pk=session_id)
    names = {"reference": session.reference}
    if session.status == TrainingSession.Status.CANCELLED:
        raise SessionRefused(gettext("Session %(reference)s is cancelled.") % names)
    if kind not in SessionDocument.Kind.values:
        raise SessionRefused(gettext("A session keeps certificates of completion and attendance sheets only."))
    if not session.learners.filter(sponsor_id=sponsor_id).exists():
        raise SessionRefused(gettext("Choose a sponsor sending learners to session %(reference)s.") % names)
    if upload is None:
        raise SessionRefused(gettext("Choose the file to keep."))
    kept = SessionDocument.objects.create(session=session, sponsor_id=sponsor_id, kind=kind,
                                          attachment=store(upload, client_id=sponsor_id, user=user))
    record(user=user, action="session_document", obj=session, before={},
           after={"kind": kind, "sponsor": sponsor_id, "attachment": kept.attachment_id})
    return kept


@transaction.atomic
def save_product(*, reference: str, label: str, hours: Decimal, days: Decimal, price: Decimal, basis: str,
                 article, vat_exempt: bool = True) -> TrainingProduct:
    """Create or update a catalogue product by its reference."""
    reference, label = (reference or "").strip(), (label or "").strip()
    required, positive = gettext("is required"), gettext("must be more than 0")
    checks = (("reference", bool(reference), required), ("label", bool(label), required),
              ("hours", hours is not None and hours > 0, positive),
              ("days", days is not None and days > 0, positive),
              ("price", price is not None and price >= 0, gettext("must be 0 or more")),
              ("basis", basis in TrainingProduct.Basis.values,
               gettext("must be one of %(values)s") % {"values": ", ".join(TrainingProduct.Basis.values)}),
              ("article", article is not None, required))
    for field, ok, message in checks:
        if not ok:
            raise EntryRefused(field, message)
    product, _ = TrainingProduct.objects.update_or_create(reference=reference, defaults={
        "label": label, "hours": hours, "days": days, "price": round_money(price), "basis": basis,
        "article": article, "vat_exempt": vat_exempt})
    return product


@transaction.atomic
def save_session(*, reference: str, product: TrainingProduct, start, end, place: str = "", trainer=None,
                 discount_percent: Decimal = ZERO, learners: list[LearnerEntry],
                 fundings: list[FundingEntry]) -> TrainingSession:
    """Create or update a session by its reference, with its learners and fundings (replaced as a whole).

    A session done or cancelled is not changed any more: its charges stand on drafts or invoices."""
    reference = (reference or "").strip()
    if not reference:
        raise EntryRefused("reference", gettext("is required"))
    if product is None:
        raise EntryRefused("product", gettext("is required"))
    if start is None or end is None or end < start:
        raise EntryRefused("end", gettext("must be on or after the start"))
    discount_percent = discount_percent or ZERO
    if not ZERO <= discount_percent < HUNDRED:
        raise EntryRefused("discount_percent", gettext("must be from 0 to less than 100"))
    existing = TrainingSession.objects.select_for_update().filter(reference=reference).first()
    if existing and existing.status in (TrainingSession.Status.DONE, TrainingSession.Status.CANCELLED):
        raise EntryRefused("reference", gettext("session %(reference)s is %(status)s: it can no longer be changed")
                           % {"reference": reference, "status": existing.get_status_display()})
    for n, learner in enumerate(learners):
        if not (learner.name or "").strip():
            raise EntryRefused(f"learners[{n}].name", gettext("is required"))
        if learner.sponsor is None:
            raise EntryRefused(f"learners[{n}].sponsor", gettext("is required"))
    sending = {learner.sponsor.pk for learner in learners}
    percents: Counter = Counter()
    for n, funding in enumerate(fundings):
        where = f"fundings[{n}]"
        if funding.funder is None:
            raise EntryRefused(f"{where}.funder", gettext("is required"))
        if funding.sponsor is None or funding.sponsor.pk not in sending:
            raise EntryRefused(f"{where}.sponsor", gettext("must be a sponsor sending learners to this session"))
        if funding.funder.pk == funding.sponsor.pk:
            raise EntryRefused(f"{where}.funder",
                               gettext("a sponsor does not fund itself: what no funder pays is its own"))
        if funding.per_learner and funding.amount is None:
            raise EntryRefused(f"{where}.per_learner", gettext("only an amount is paid per learner"))
        if (funding.amount is None) == (funding.percent is None):
            raise EntryRefused(where, gettext("give either an amount or a percentage"))
        if funding.amount is not None and funding.amount <= 0:
            raise EntryRefused(f"{where}.amount", gettext("must be more than 0"))
        for name in ("file_number", "agreement_reference"):
            if len((getattr(funding, name) or "").strip()) > REFERENCE_LENGTH:
                raise EntryRefused(f"{where}.{name}", gettext("must be at most %(count)s characters")
                                   % {"count": REFERENCE_LENGTH})
        if funding.percent is not None:
            if not ZERO < funding.percent <= HUNDRED:
                raise EntryRefused(f"{where}.percent", gettext("must be more than 0 and at most 100"))
            percents[funding.sponsor.pk] += funding.percent
            if percents[funding.sponsor.pk] > HUNDRED:
                raise EntryRefused(f"{where}.percent", gettext("fundings of %(sponsor)s exceed 100 %%")
                                   % {"sponsor": funding.sponsor.name})

    session, _ = TrainingSession.objects.update_or_create(reference=reference, defaults={
        "product": product, "start": start, "end": end, "place": (place or "").strip(), "trainer": trainer,
        "discount_percent": discount_percent})
    session.learners.all().delete()
    session.fundings.all().delete()
    Learner.objects.bulk_create(Learner(session=session, name=entry.name.strip(), sponsor=entry.sponsor)
                                for entry in learners)
    Funding.objects.bulk_create(
        Funding(session=session, funder=entry.funder, sponsor=entry.sponsor, amount=entry.amount,
                percent=entry.percent, per_learner=entry.per_learner,
                file_number=(entry.file_number or "").strip(),
                agreement_reference=(entry.agreement_reference or "").strip()) for entry in fundings)
    return session

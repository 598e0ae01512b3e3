"""A session done becomes what its funders and sponsors owe, drafted by each funder's billing option."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.db import transaction

from prebill.audit.services import record
from prebill.billing.context import PortfolioContext
from prebill.billing.drafts import rebuild_drafts
from prebill.billing.models import BillableItem
from prebill.clients.models import Client
from prebill.core.grouping import ItemKind
from prebill.core.money import ZERO, round_money, split_in_proportion
from prebill.core.periods import Period
from prebill.engagements.models import Engagement
from prebill.organisation.models import Organisation

from .models import TrainingCharge, TrainingSession


class SessionRefused(ValueError):
    pass


def billing_option(client: Client, default: str) -> str:
    """The client's own option wins; empty means the firm's default."""
    return client.training_billing or default


def _engagement_of(client: Client) -> Engagement:
    """Training is billed under one engagement per client (its terms and address are the client's)."""
    engagement, _ = Engagement.objects.get_or_create(
        code=f"FORM-{client.code}"[:30], defaults={"client": client, "label": "Formation", "engagement_class": "training"})
    return engagement


def _sponsor_bases(session: TrainingSession) -> dict[int, tuple[int, Decimal]]:
    """Per sponsor: its learners and what the session costs it (a group price shared by learners)."""
    learners = Counter(session.learners.values_list("sponsor_id", flat=True))
    sponsors = sorted(learners)
    product = session.product
    if product.basis == product.Basis.PER_GROUP:
        shares = split_in_proportion(product.price, [Decimal(learners[s]) for s in sponsors])
    else:
        shares = [round_money(product.price * learners[s]) for s in sponsors]
    return {sponsor: (learners[sponsor], share) for sponsor, share in zip(sponsors, shares, strict=True)}


@transaction.atomic
def mark_done(*, session_id: int, user=None) -> int:
    """Mark a session done and draft what it bills; doing it twice drafts nothing more. Returns the charges made."""
    session = TrainingSession.objects.select_for_update().select_related("product").get(pk=session_id)
    if session.status == TrainingSession.Status.CANCELLED:
        raise SessionRefused(f"session {session.reference} is cancelled")
    if session.status == TrainingSession.Status.DONE or session.charges.exists():
        return 0
    org = Organisation.objects.first()
    default = org.training_billing if org else "pair"
    period = Period.of(session.end)
    bases = _sponsor_bases(session)
    sponsors = Client.objects.in_bulk(list(bases))
    charges = []
    for sponsor_id, (learners, base) in bases.items():
        funded = ZERO
        for funding in session.fundings.filter(sponsor_id=sponsor_id).select_related("funder").order_by("pk"):
            share = funding.amount if funding.amount is not None else round_money(base * (funding.percent or 0) / 100)
            share = min(share, base - funded)
            funded += share
            option = billing_option(funding.funder, default)
            if share > 0 and option != "none":
                hint = "consolidated" if option == "consolidated" else f"pair:{sponsor_id}"
                charges.append((funding.funder, sponsor_id, learners, share, hint))
        if base - funded > 0:
            charges.append((sponsors[sponsor_id], sponsor_id, learners, base - funded, "sponsor"))
    product = session.product
    for client, sponsor_id, learners, amount, hint in charges:
        charge = TrainingCharge.objects.create(session=session, client=client, sponsor_id=sponsor_id,
                                               learners=learners, amount=amount)
        BillableItem.objects.create(
            kind=ItemKind.TRAINING, client=client, engagement=_engagement_of(client), training_charge=charge,
            article=product.article, period=period.first_day, service_date=session.end,
            invoice_date=period.last_day, quantity=learners, unit="apprenant",
            unit_price=(amount / learners).quantize(Decimal("0.0001")), amount=amount,
            vat_rate=ZERO if product.vat_exempt else product.article.vat_rate,
            grouping_hint=f"{hint};exempt" if product.vat_exempt else hint,
            designation=f"{session.reference} — {product.label} — {sponsors[sponsor_id].name}"
                        f" — {learners} apprenant{'s' if learners > 1 else ''}")
    session.status = TrainingSession.Status.DONE
    session.save(update_fields=["status"])
    record(user=user, action="session_done", obj=session, before={}, after={"charges": len(charges)})
    rebuild_drafts(period, PortfolioContext.load())
    return len(charges)


@transaction.atomic
def cancel(*, session_id: int, user=None) -> None:
    """Cancel a session; when it was done, its drafts go too (refused once something is invoiced)."""
    session = TrainingSession.objects.select_for_update().get(pk=session_id)
    items = BillableItem.objects.filter(training_charge__session=session)
    if items.exclude(status=BillableItem.Status.PENDING).exists() or items.filter(billed_quantity__gt=0).exists():
        raise SessionRefused(f"session {session.reference} is invoiced: credit the invoice first")
    periods = set(items.values_list("period", flat=True))
    items.delete()
    session.charges.all().delete()
    session.status = TrainingSession.Status.CANCELLED
    session.save(update_fields=["status"])
    record(user=user, action="session_cancelled", obj=session, before={}, after={})
    ctx = PortfolioContext.load()
    for first_day in sorted(periods):
        rebuild_drafts(Period.of(first_day), ctx)

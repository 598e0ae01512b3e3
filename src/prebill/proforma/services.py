"""Pro forma invoices for time and materials: generate from cost lines, review, process into a pre-invoice.

Generating locks the cost lines (their items are on the pro forma: runs leave them, imports refuse
to change them); processing turns the open lines into a pre-invoice kept by runs, ready to validate.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from prebill.accounts.roles import acting_user
from prebill.audit.services import record
from prebill.billing.context import PortfolioContext
from prebill.billing.drafts import groupable_items, rebuild_drafts
from prebill.billing.models import BillableItem, PreInvoice, PreInvoiceLine, PreInvoiceVat
from prebill.clients.models import Client
from prebill.core.grouping import ItemKind, group_items
from prebill.core.money import round_money, split_in_proportion
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.core.review import BILLED_NOW, Decision
from prebill.core.valuation import repriced
from prebill.core.vat import totals, vat_breakdown
from prebill.locks import retrying

from .models import ProForma, ProFormaItem, ProFormaLine

COST_KINDS = (ItemKind.TIME.value, ItemKind.UNITS.value)


class ProFormaRefused(Refusal):

    """The pro forma or its line refuses the action; the message says why."""



def _open_for(client: Client, user) -> ProForma:
    pro_forma = ProForma.objects.filter(client=client, state=ProForma.State.OPEN).first()
    return pro_forma or ProForma.objects.create(client=client, opened_by=acting_user(user))


@retrying
def generate(*, client_id: int, until: date, user=None) -> tuple[ProForma, int]:
    """Append the client's cost lines done up to `until` (not yet on a pro forma) to its open pro forma.

    Returns the pro forma and the number of lines added. Billing conditions in "per article" mode
    give one line per article, keeping the link to every item it sums.
    """
    client = Client.objects.select_for_update().get(pk=client_id)  # one generation per client at a time
    items = BillableItem.objects.filter(
        Q(pre_invoice_line__isnull=True) | Q(pre_invoice_line__pre_invoice__source=PreInvoice.Source.RUN),
        client=client, status=BillableItem.Status.PENDING, decision__in=list(BILLED_NOW), kind__in=COST_KINDS,
        service_date__lte=until, pro_forma_item__isnull=True,
    )
    ctx = PortfolioContext.load()
    drafts = group_items(groupable_items(items, ctx))
    if not drafts:
        raise ProFormaRefused(gettext("Client %(code)s has no cost line left to put on a pro forma.")
                              % {"code": client.code})
    pro_forma = _open_for(client, user)
    position = pro_forma.lines.count()
    engagement_of = dict(items.values_list("id", "engagement_id"))
    periods = set(items.filter(pre_invoice_line__isnull=False).values_list("period", flat=True))
    clients = set(items.values_list("engagement__client_id", flat=True))  # read before the items leave
    added = 0
    for draft in drafts:
        for line in draft.lines:
            position += 1
            saved = ProFormaLine.objects.create(
                pro_forma=pro_forma, position=position, engagement_id=engagement_of[line.item_ids[0]],
                kind=line.kind.value, line_key=line.key, article_id=line.article, designation=line.designation[:500],
                quantity=line.quantity, unit=line.unit, unit_price=line.unit_price, proposed_amount=line.amount,
                amount=line.amount, vat_rate=line.vat_rate, service_start=line.service_start,
                service_end=line.service_end)
            ProFormaItem.objects.bulk_create(ProFormaItem(line=saved, item_id=pk) for pk in line.item_ids)
            added += 1
    if periods:
        # The items leave the month's drafts: rebuild those months without them.
        for first_day in sorted(periods):
            rebuild_drafts(Period.of(first_day), ctx, clients=clients)
    record(user=user, action="generate_pro_forma", obj=pro_forma, before={},
           after={"lines": added, "until": until.isoformat()})
    return pro_forma, added


def _line(line_id: int) -> ProFormaLine:
    line = ProFormaLine.objects.select_for_update().select_related("pro_forma").filter(pk=line_id).first()
    if line is None:
        raise ProFormaRefused(gettext("This pro forma line no longer exists."))
    if line.pro_forma.state != ProForma.State.OPEN:
        raise ProFormaRefused(gettext("This pro forma is processed: its lines no longer change."))
    return line


@transaction.atomic
def change_amount(*, line_id: int, amount: Decimal, user=None) -> ProFormaLine:
    """Bill another amount for a line (the items keep their cost; the difference is shared among them)."""
    line = _line(line_id)
    if amount < 0:
        raise ProFormaRefused(gettext("An amount to bill is zero or more."))
    before = {"amount": str(line.amount), "quantity": str(line.quantity), "unit": line.unit,
              "unit_price": str(line.unit_price)}
    line.amount = round_money(amount)
    # Quantity × price = amount on the invoice too: the price follows, or the line becomes a lump sum.
    line.quantity, unit, line.unit_price = repriced(line.quantity, line.unit_price, line.amount)
    line.unit = unit or line.unit
    line.save(update_fields=["amount", "quantity", "unit", "unit_price"])
    record(user=user, action="change_pro_forma_amount", obj=line, before=before,
           after={"amount": str(line.amount), "quantity": str(line.quantity), "unit": line.unit,
                  "unit_price": str(line.unit_price)})
    return line


@transaction.atomic
def set_status(*, line_id: int, status: str, user=None) -> ProFormaLine:
    """Transfer a line to a later invoice, withdraw it (never billed), or put it back (open)."""
    line = _line(line_id)
    if status not in ProFormaLine.Status.values:
        raise ProFormaRefused(gettext("Unknown line status: %(status)s.") % {"status": status})
    before = line.status
    line.status = status
    line.save(update_fields=["status"])
    record(user=user, action=f"pro_forma_line_{status}", obj=line, before={"status": before}, after={"status": status})
    return line


@retrying
def process(*, pro_forma_id: int, user=None, on: date | None = None) -> PreInvoice:
    """Turn the open lines into a pre-invoice ready to validate; transferred lines free their items for the
    next pro forma, withdrawn ones write their items off (kept for the record)."""
    pro_forma = ProForma.objects.select_for_update().select_related("client").filter(pk=pro_forma_id).first()
    if pro_forma is None or pro_forma.state != ProForma.State.OPEN:
        raise ProFormaRefused(gettext("Only an open pro forma can be processed."))
    lines = list(pro_forma.lines.prefetch_related("items__item").order_by("position"))
    billed = [line for line in lines if line.status == ProFormaLine.Status.OPEN]
    if not billed:
        raise ProFormaRefused(gettext("Nothing is left to bill on this pro forma: transfer or withdraw less."))
    on = on or date.today()
    terms = PortfolioContext.load().terms(billed[0].engagement_id, on)
    breakdown = vat_breakdown((line.vat_rate, line.amount) for line in billed)
    total = totals(breakdown)
    pre = PreInvoice.objects.create(
        period=Period.of(on).first_day, client=pro_forma.client, invoice_date=on, billing_address_id=terms.address,
        currency=terms.currency, vat_regime=terms.vat_regime.value, payment_terms_days=terms.payment_terms.days,
        end_of_month=terms.payment_terms.end_of_month, payment_method=terms.payment_method, line_mode=terms.line_mode.value,
        document_key=f"pro_forma|{pro_forma.pk}", source=PreInvoice.Source.PRO_FORMA,
        copied_from=f"pro forma {pro_forma.pk}",
        grouping_reason=gettext("pro forma %(pk)s processed") % {"pk": pro_forma.pk},
        total_excluding_vat=total.excluding_vat, total_vat=total.vat, total_including_vat=total.including_vat)
    PreInvoiceVat.objects.bulk_create(
        PreInvoiceVat(pre_invoice=pre, rate=v.rate, base=v.base, vat=v.vat) for v in breakdown)
    changed_items = []
    for position, line in enumerate(billed, start=1):
        saved = PreInvoiceLine.objects.create(
            pre_invoice=pre, position=position, kind=line.kind, line_key=line.line_key, article_id=line.article_id,
            designation=line.designation, quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
            amount=line.amount, vat_rate=line.vat_rate, service_start=line.service_start,
            service_end=line.service_end)
        items = [share.item for share in line.items.all()]
        shares = (split_in_proportion(line.amount, [item.amount for item in items])
                  if line.amount != line.proposed_amount else [None] * len(items))
        for item, share in zip(items, shares, strict=True):
            item.pre_invoice_line, item.adjusted_amount = saved, share
            changed_items.append(item)
    BillableItem.objects.bulk_update(changed_items, ["pre_invoice_line", "adjusted_amount"])
    # The items now wait on the pre-invoice; transferred ones are free again; withdrawn ones are written off.
    ProFormaItem.objects.filter(line__in=billed).delete()
    ProFormaItem.objects.filter(line__pro_forma=pro_forma, line__status=ProFormaLine.Status.TRANSFERRED).delete()
    BillableItem.objects.filter(pro_forma_item__line__pro_forma=pro_forma,
                                pro_forma_item__line__status=ProFormaLine.Status.WITHDRAWN).update(
        decision=Decision.WRITE_OFF)
    pro_forma.state, pro_forma.processed_at, pro_forma.processed_by, pro_forma.pre_invoice = (
        ProForma.State.PROCESSED, timezone.now(), acting_user(user), pre)
    pro_forma.save(update_fields=["state", "processed_at", "processed_by", "pre_invoice"])
    record(user=user, action="process_pro_forma", obj=pro_forma, before={"state": "open"},
           after={"state": "processed", "pre_invoice": pre.pk, "total_excluding_vat": str(pre.total_excluding_vat)})
    return pre


def locked_time_entries(external_ids: list[str] | None = None) -> dict[str, str]:
    """Time entries whose cost line waits on a pro forma or on its pre-invoice (of these ids, or all): why each
    is locked, by external id."""
    from prebill.activity.models import TimeEntry  # activity is a source, read here only

    locked = {}
    rows = TimeEntry.objects.filter(billable_item__status=BillableItem.Status.PENDING)
    if external_ids is not None:
        rows = rows.filter(external_id__in=external_ids)
    for external_id, pro_forma_id in rows.filter(billable_item__pro_forma_item__isnull=False).values_list(
            "external_id", "billable_item__pro_forma_item__line__pro_forma_id"):
        locked[external_id] = gettext("it is on pro forma %(pk)s") % {"pk": pro_forma_id}
    for external_id, pre_id in rows.filter(
            billable_item__pre_invoice_line__pre_invoice__source=PreInvoice.Source.PRO_FORMA).values_list(
            "external_id", "billable_item__pre_invoice_line__pre_invoice_id"):
        locked[external_id] = gettext("it is on pre-invoice %(pk)s, made from a pro forma") % {"pk": pre_id}
    return locked



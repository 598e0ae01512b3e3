"""Reads of pre-billing for the interfaces, set-based: a few queries whatever the period's size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.utils.translation import gettext

from prebill.core.grouping import REBILLABLE
from prebill.core.periods import Period
from prebill.core.refusals import Refusal, gettext_noop
from prebill.core.review import Decision
from prebill.web.forms import parse_amount

from .models import BillableItem, BillingRun, PreInvoice, PreInvoiceLine, PreInvoiceVat, RemovedDraft

REBILLABLE_KINDS = [kind.value for kind in REBILLABLE]
LINE_COLUMNS = (
    "pre_invoice", "client", "client_name", "invoice_date", "currency", "vat_regime", "payment_terms", "payment_method",
    "grouping_reason", "position", "article", "designation", "quantity", "unit", "unit_price", "amount_excluding_vat",
    "vat_rate", "service_start", "service_end", "items",
)


def item_sources(period: Period, pre_invoice_ids: list[int] | None = None) -> dict[int, list[dict]]:
    """For each line of the period's pre-invoices, the billable items it sums and the source of each."""
    sources: dict[int, list[dict]] = defaultdict(list)
    rows = BillableItem.objects.filter(pre_invoice_line__pre_invoice__period=period.first_day)
    if pre_invoice_ids is not None:
        rows = rows.filter(pre_invoice_line__pre_invoice_id__in=pre_invoice_ids)
    for (item_id, line_id, kind, entry, part_code, engagement, due, metric, period, manual, expense, purchase,
         overtime, session, sponsor) in rows.values_list(
        "id", "pre_invoice_line_id", "kind", "time_entry__external_id", "installment__part__code",
        "engagement__code", "installment__due_date", "unit_metric__metric_code", "unit_metric__period",
        "manual_element_id", "expense_id", "purchase_id", "overtime_id", "training_charge__session__reference",
        "training_charge__sponsor__code",
    ).order_by("id").iterator(chunk_size=10000):
        if entry:
            source = {"type": "time_entry", "ref": entry}
        elif due:
            source = {"type": "installment", "ref": f"{engagement}/{part_code}/{due.isoformat()}"}
        elif metric:
            source = {"type": "unit_metric", "ref": f"{engagement}/{metric}/{period:%Y-%m}"}
        elif session:
            source = {"type": "training_charge", "ref": f"{session}/{sponsor}"}
        else:  # costs and elements typed by hand are known by their own ids
            kind_and_id = next((name, pk) for name, pk in (("manual_element", manual), ("expense", expense),
                                                            ("purchase", purchase), ("overtime", overtime)) if pk)
            source = {"type": kind_and_id[0], "ref": str(kind_and_id[1])}
        sources[line_id].append({"item": item_id, "kind": kind, **source})
    return sources


def pre_invoices_of_period(period: Period, ids: list[int] | None = None) -> Iterator[dict]:
    """Every pre-invoice of the period (or those of `ids`) with lines, VAT breakdown, totals and sources."""
    only = {} if ids is None else {"pre_invoice_id__in": ids}
    documents = list(
        PreInvoice.objects.filter(period=period.first_day, **({} if ids is None else {"id__in": ids}))
        .select_related("client", "billing_address").order_by("client__code", "invoice_date", "document_key")
    )
    lines_by_doc = defaultdict(list)
    lines = list(PreInvoiceLine.objects.filter(pre_invoice__period=period.first_day, **only).select_related("article")
                 .order_by("pre_invoice_id", "position"))
    for line in lines:
        lines_by_doc[line.pre_invoice_id].append(line)
    vat_by_doc = defaultdict(list)
    for vat in PreInvoiceVat.objects.filter(pre_invoice__period=period.first_day, **only).order_by(
            "pre_invoice_id", "rate"):
        vat_by_doc[vat.pre_invoice_id].append(vat)
    sources = item_sources(period, ids)
    for doc in documents:
        address = doc.billing_address
        yield {
            "id": doc.pk, "version": doc.version, "client": doc.client.code, "client_name": doc.client.name,
            "invoice_date": doc.invoice_date.isoformat(),
            "billing_address": None if address is None else {
                "code": address.code, "line1": address.line1, "line2": address.line2, "postcode": address.postcode,
                "city": address.city, "country": address.country,
            },
            "conditions": {
                "currency": doc.currency, "vat_regime": doc.vat_regime, "payment_terms_days": doc.payment_terms_days,
                "end_of_month": doc.end_of_month, "payment_method": doc.payment_method, "line_mode": doc.line_mode,
            },
            "grouping": {"key": doc.document_key, "reason": doc.grouping_reason, "last_change": doc.last_change},
            "source": doc.source, "copied_from": doc.copied_from or None,
            "lines": [
                {
                    "id": line.pk, "position": line.position, "kind": line.kind, "article": str(line.article),
                    "designation": line.designation_override or line.designation, "quantity": str(line.quantity),
                    "unit": line.unit, "unit_price": str(line.unit_price), "amount_excluding_vat": str(line.amount),
                    "vat_rate": str(line.vat_rate),
                    "service_start": line.service_start.isoformat() if line.service_start else None,
                    "service_end": line.service_end.isoformat() if line.service_end else None,
                    "items": sources.get(line.pk, []),
                }
                for line in lines_by_doc[doc.pk]
            ],
            "vat_breakdown": [
                {"rate": str(v.rate), "base": str(v.base), "vat": str(v.vat)} for v in vat_by_doc[doc.pk]
            ],
            "total_excluding_vat": str(doc.total_excluding_vat), "total_vat": str(doc.total_vat),
            "total_including_vat": str(doc.total_including_vat),
        }


def pre_invoice_csv_rows(period: Period) -> Iterator[dict]:
    """One row per pre-invoice line, for a spreadsheet."""
    for doc in pre_invoices_of_period(period):
        conditions = doc["conditions"]
        for line in doc["lines"]:
            yield {
                "pre_invoice": doc["id"], "client": doc["client"], "client_name": doc["client_name"],
                "invoice_date": doc["invoice_date"], "currency": conditions["currency"],
                "vat_regime": conditions["vat_regime"],
                "payment_terms": f"{conditions['payment_terms_days']}{' EOM' if conditions['end_of_month'] else ''}",
                "payment_method": conditions["payment_method"], "grouping_reason": doc["grouping"]["reason"],
                "position": line["position"], "article": line["article"], "designation": line["designation"],
                "quantity": line["quantity"], "unit": line["unit"], "unit_price": line["unit_price"],
                "amount_excluding_vat": line["amount_excluding_vat"], "vat_rate": line["vat_rate"],
                "service_start": line["service_start"], "service_end": line["service_end"],
                "items": " ".join(f"{s['type']}:{s['ref']}" for s in line["items"]),
            }


KINDS = ("fixed_fee", "units", "time")


@dataclass(frozen=True)
class OverviewFilters:
    """What the clerk narrows the pre-billing page to."""

    search: str = ""
    engagement: str = ""
    manager: str = ""
    kind: str = ""
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    sort: str = "client"

    @classmethod
    def from_query(cls, query) -> OverviewFilters:
        """The filters of the pre-billing page's query string (or of a form that carries them along)."""
        return cls(search=query.get("q", "").strip(), engagement=query.get("engagement", "").strip(),
                   manager=query.get("manager", ""), kind=query.get("kind", ""),
                   minimum=parse_amount(query.get("min")), maximum=parse_amount(query.get("max")),
                   sort=query.get("sort", "client"))


SORTS = {"client": ("client__code",), "-total": ("-total_excluding", "client__code"),
         "-count": ("-pre_invoices", "client__code"), "name": ("client__name",)}


def _filtered_pre_invoices(period: Period, filters: OverviewFilters):
    docs = PreInvoice.objects.filter(period=period.first_day)
    if filters.search:
        docs = docs.filter(Q(client__code__icontains=filters.search) | Q(client__name__icontains=filters.search))
    if filters.engagement:
        docs = docs.filter(Exists(BillableItem.objects.filter(
            pre_invoice_line__pre_invoice=OuterRef("pk"), engagement__code__icontains=filters.engagement)))
    if filters.manager:
        docs = docs.filter(Exists(BillableItem.objects.filter(
            pre_invoice_line__pre_invoice=OuterRef("pk"), engagement__manager__code=filters.manager)))
    if filters.kind:
        docs = docs.filter(Exists(PreInvoiceLine.objects.filter(pre_invoice=OuterRef("pk"), kind=filters.kind)))
    if filters.minimum is not None:
        docs = docs.filter(total_excluding_vat__gte=filters.minimum)
    if filters.maximum is not None:
        docs = docs.filter(total_excluding_vat__lte=filters.maximum)
    return docs


def drafts_shown(period: Period, filters: OverviewFilters) -> list[tuple[int, int]]:
    """Every pre-invoice the filters show, all pages together, as (id, version) in the page's order: a bulk action
    on "all that the filters show" acts on the versions the clerk saw counted."""
    return list(_filtered_pre_invoices(period, filters).order_by("client__code", "invoice_date", "document_key")
                .values_list("pk", "version"))


def drafts_of(period: Period, *, client_code: str | None = None) -> list[tuple[int, int]]:
    """The month's pre-invoices (of one client, by its code), as (id, version) in the month page's order."""
    docs = PreInvoice.objects.filter(period=period.first_day)
    if client_code:
        docs = docs.filter(client__code=client_code)
    return list(docs.order_by("client__code", "invoice_date", "document_key").values_list("pk", "version"))


def pre_billing_overview(period: Period, filters: OverviewFilters, *, page: int = 1, per_page: int = 50) -> dict:
    """The period's pre-invoices grouped by client, with totals per kind of line; a fixed number of queries."""
    docs = _filtered_pre_invoices(period, filters)
    totals = docs.aggregate(
        pre_invoices=Count("id"), clients=Count("client", distinct=True),
        total_excluding=Sum("total_excluding_vat"), total_vat=Sum("total_vat"), total_including=Sum("total_including_vat"),
    )
    per_kind = {
        row["kind"]: row for row in PreInvoiceLine.objects.filter(pre_invoice__in=docs.values("id"))
        .values("kind").order_by().annotate(amount=Sum("amount"), pre_invoices=Count("pre_invoice", distinct=True))
    }
    clients = (
        docs.values("client_id", "client__code", "client__name").order_by()
        .annotate(pre_invoices=Count("id"), total_excluding=Sum("total_excluding_vat"),
                  total_including=Sum("total_including_vat"))
        .order_by(*SORTS.get(filters.sort, SORTS["client"]))
    )
    pages = max(1, -(-(totals["clients"] or 0) // per_page))
    page = min(max(1, page), pages)
    client_rows = list(clients[(page - 1) * per_page : page * per_page])
    first_kind = PreInvoiceLine.objects.filter(pre_invoice=OuterRef("pk")).order_by("position").values("kind")[:1]
    by_client: dict[int, list] = defaultdict(list)
    for doc in (docs.filter(client_id__in=[row["client_id"] for row in client_rows])
                .annotate(kind=Subquery(first_kind), line_count=Count("lines"))
                .order_by("invoice_date", "document_key")):
        by_client[doc.client_id].append(doc)
    for row in client_rows:
        row["documents"] = by_client[row["client_id"]]
    return {
        "totals": totals, "per_kind": [per_kind.get(kind, {"kind": kind, "amount": None, "pre_invoices": 0})
                                       for kind in KINDS],
        "clients": client_rows, "page": page, "pages": pages,
    }


def pre_invoice_detail(pre_invoice_id: int) -> PreInvoice:
    # In position order, said again: a query that counts (GROUP BY) drops the model's default ordering.
    return (PreInvoice.objects.select_related("client", "billing_address")
            .prefetch_related("vat_lines", Prefetch("lines", queryset=PreInvoiceLine.objects.select_related("article")
                                                    .annotate(item_count=Count("items")).order_by("position", "pk")))
            .get(pk=pre_invoice_id))


def neighbours(document: PreInvoice) -> tuple[int | None, int | None]:
    """The pre-invoices before and after this one on its month page (client code, invoice date, document key)."""
    code, day, key = document.client.code, document.invoice_date, document.document_key
    month = PreInvoice.objects.filter(period=document.period).exclude(pk=document.pk)
    before = Q(client__code__lt=code) | Q(client__code=code, invoice_date__lt=day) | Q(
        client__code=code, invoice_date=day, document_key__lt=key)
    after = Q(client__code__gt=code) | Q(client__code=code, invoice_date__gt=day) | Q(
        client__code=code, invoice_date=day, document_key__gt=key)
    previous = month.filter(before).order_by("-client__code", "-invoice_date", "-document_key").values_list(
        "pk", flat=True).first()
    following = month.filter(after).order_by("client__code", "invoice_date", "document_key").values_list(
        "pk", flat=True).first()
    return previous, following


def line_sources(line_id: int) -> list[dict]:
    """What a pre-invoice line comes from: its items with their time entry, installment or payroll metric."""
    rows = []
    for item in (BillableItem.objects.filter(pre_invoice_line_id=line_id)
                 .select_related("time_entry__collaborator", "time_entry__task", "installment__part",
                                 "unit_metric", "engagement", "article_rule")
                 .order_by("service_date", "id")):
        rows.append({"item": item, "time_entry": item.time_entry, "installment": item.installment,
                     "unit_metric": item.unit_metric})
    return rows


def latest_run(period: Period) -> BillingRun | None:
    return BillingRun.objects.filter(period=period.first_day).select_related("job").order_by("-started_at").first()


def removed_draft(pre_invoice_id: int) -> dict:
    """What became of a pre-invoice id that answers nothing any more: why, and where its items went."""
    gone = RemovedDraft.objects.filter(pre_invoice_id=pre_invoice_id).first()
    if gone is None:
        return {"removed": False, "id": pre_invoice_id, "detail": gettext("This pre-invoice does not exist.")}
    successor = gone.successor_id if gone.successor_id and PreInvoice.objects.filter(pk=gone.successor_id).exists() \
        else None
    if gone.why == RemovedDraft.Why.VALIDATED:
        detail = gettext("This pre-invoice was validated into invoice %(number)s.") % {"number": gone.invoice_number}
    elif successor:
        detail = gettext("This pre-invoice no longer exists: its items are now on pre-invoice #%(pk)s.") % {
            "pk": successor}
    else:
        detail = gettext("This pre-invoice no longer exists: %(why)s.") % {"why": gone.get_why_display()}
    if gone.released_deposits:
        detail += " " + gettext("%(amount)s set aside from deposits went back to them.") % {
            "amount": gone.released_deposits}
    return {"removed": True, "id": pre_invoice_id, "detail": detail, "why": gone.why, "successor": successor,
            "invoice": gone.invoice_number or None, "period": gone.period.isoformat(),
            "removed_at": gone.removed_at.isoformat()}


# Rebillable costs on the preparation page: untreated first, in two queries ----------------------------

def rebillables(period: Period, *, untreated_only: bool = True) -> list[BillableItem]:
    """The month's expenses, purchases and overtime; untreated = not on an invoice yet."""
    items = BillableItem.objects.filter(kind__in=REBILLABLE_KINDS, period=period.first_day).select_related(
        "client", "engagement", "collaborator", "pre_invoice_line", "expense__receipt", "purchase__proof")
    if untreated_only:
        items = items.filter(status=BillableItem.Status.PENDING)
    return list(items.order_by("status", "client__code", "collaborator__code", "service_date", "pk")[:500])


def fixed_fees_to_join(period: Period, engagement_ids: set[int]) -> dict[int, list[BillableItem]]:
    """Per engagement, its fixed-fee items waiting for an invoice (costs may join them)."""
    joinable: dict[int, list[BillableItem]] = {}
    for fee in BillableItem.objects.filter(engagement_id__in=engagement_ids, installment__isnull=False,
                                           status=BillableItem.Status.PENDING).order_by("invoice_date", "pk"):
        joinable.setdefault(fee.engagement_id, []).append(fee)
    return joinable


def installment_billed(installment) -> bool:
    """Whether the installment's item is on a validated invoice (then only a credit note changes it)."""
    return BillableItem.objects.filter(installment=installment, status=BillableItem.Status.BILLED).exists()


# Items a clerk set aside from the month's drafts (postponed, on hold, written off), to put them back ---------

# What a clerk may set aside from the drafts (billing.decisions), and put back to bill now.
SET_ASIDE = (Decision.BILL_LATER, Decision.ON_HOLD, Decision.WRITE_OFF)


def set_aside(period: Period, *, limit: int = 200) -> dict:
    """The month's items waiting outside its drafts by a decision, grouped by client, engagement, decision and
    month postponed to (one row each, with its items' ids): a few queries whatever their number."""
    items = BillableItem.objects.filter(period=period.first_day, status=BillableItem.Status.PENDING,
                                        decision__in=list(SET_ASIDE), pro_forma_item__isnull=True)
    groups = list(items.values("client__code", "client__name", "engagement__code", "decision", "postponed_to")
                  .order_by("client__code", "engagement__code", "decision", "postponed_to")
                  .annotate(items=Count("id"), amount=Sum("amount"))[:limit])
    ids: dict[tuple, list[int]] = defaultdict(list)
    keys = {(g["client__code"], g["engagement__code"], g["decision"], g["postponed_to"]) for g in groups}
    for pk, *key in items.values_list("pk", "client__code", "engagement__code", "decision", "postponed_to").order_by(
            "pk").iterator(chunk_size=10000):
        if tuple(key) in keys:
            ids[tuple(key)].append(pk)
    for group in groups:
        group["ids"] = ids[(group["client__code"], group["engagement__code"], group["decision"], group["postponed_to"])]
    return {"groups": groups, "count": items.count(), "more": len(groups) == limit}


class SelectionChanged(Refusal):
    """The pre-invoices the month page's filters show are no longer those it counted."""


def selected_drafts(month: Period, form) -> list[tuple[int, int | None]]:
    """The pre-invoices a bulk form of the month page names: those ticked ("id@version"), or all that its filters
    show (scope=filters), checked against the count the page showed (expected_count)."""
    if form.get("scope") == "filters":
        drafts = drafts_shown(month, OverviewFilters.from_query(form))
        if str(len(drafts)) != form.get("expected_count"):
            raise SelectionChanged(gettext_noop("The pre-invoices the filters show changed since the page was shown "
                                                "(%(now)s instead of %(then)s): look at them again."),
                                   now=len(drafts), then=form.get("expected_count"))
        return drafts
    return [(int(pk), int(version)) for pk, _at, version in
            (value.partition("@") for value in form.getlist("pre_invoice"))
            if pk.isascii() and pk.isdigit() and version.isascii() and version.isdigit()]

"""The content of the e-reporting flows: what the period's sales and payments were, read set-based, written as XML.

The reform's flows 10.1 to 10.4 carry, for the sales that are not e-invoices:
- 10.3: the consumers' sales (B2C) per day, currency and VAT rate: base, VAT and how many invoices (credit notes
  count against their day);
- 10.1: each sale to a foreign business (B2BINT): number, date, type, buyer's VAT number and country, base and VAT
  per rate;
- 10.4: the money received per day and VAT rate for those consumers' services (VAT due on receipts);
- 10.2: the same one payment at a time for foreign buyers charged French VAT.

The XML is prebill's layout of those data (namespace `urn:prebill:e-reporting:1`), kept in this module only, so
that the DGFiP's schema replaces it in one place once published with the platforms' specifications.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Sum
from lxml import etree

from prebill.core.ereporting import Flow, ReportingPeriod
from prebill.core.money import money_sum, split_in_proportion
from prebill.invoicing.models import Invoice, InvoiceVat
from prebill.payments.models import Allocation

NS = "urn:prebill:e-reporting:1"
ZERO = Decimal("0.00")


@dataclass
class ReportContent:
    xml: bytes
    entries: int
    total_excluding_vat: Decimal  # payments: the amount received
    total_vat: Decimal


def _sub(parent, tag: str, **attributes) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{tag}", {k: str(v) for k, v in attributes.items() if v not in (None, "")})


def _sign(kind: str) -> int:
    return -1 if kind == Invoice.Kind.CREDIT_NOTE else 1


def _country(buyer_address: str) -> str:
    """The snapshot's address ends with its country code (FR, BE, CH ...)."""
    last = (buyer_address or "").strip().splitlines()[-1:] or [""]
    return last[0].strip().upper() if len(last[0].strip()) == 2 else ""


def _transactions_per_day(period: ReportingPeriod) -> list[dict]:
    rows = (InvoiceVat.objects.filter(invoice__buyer_category="B2C",
                                      invoice__issue_date__range=(period.first, period.last))
            .values("invoice__issue_date", "invoice__currency", "invoice__kind", "rate")
            .annotate(base=Sum("base"), vat=Sum("vat"), invoices=Count("invoice", distinct=True)))
    days: dict[tuple, dict] = {}
    for row in rows:
        key = (row["invoice__issue_date"], row["invoice__currency"])
        day = days.setdefault(key, {"date": key[0], "currency": key[1], "invoices": 0, "rates": defaultdict(
            lambda: [ZERO, ZERO])})
        sign = _sign(row["invoice__kind"])
        day["rates"][row["rate"]][0] += sign * row["base"]
        day["rates"][row["rate"]][1] += sign * row["vat"]
    # How many documents a day counts: each invoice and credit note once, whatever its rates.
    for row in (Invoice.objects.filter(buyer_category="B2C", issue_date__range=(period.first, period.last))
                .values("issue_date", "currency").annotate(n=Count("pk"))):
        days[(row["issue_date"], row["currency"])]["invoices"] = row["n"]
    return [days[key] for key in sorted(days)]


def _allocations(period: ReportingPeriod, category: str):
    found = (Allocation.objects.filter(payment__date__range=(period.first, period.last),
                                       invoice__buyer_category=category, invoice__vat_regime="standard")
             .select_related("payment", "invoice").order_by("payment__date", "pk"))
    allocations = list(found)
    owed: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for line in InvoiceVat.objects.filter(invoice_id__in={a.invoice_id for a in allocations}).order_by("invoice",
                                                                                                       "rate"):
        owed[line.invoice_id].append((line.rate, line.base + line.vat))
    for allocation in allocations:
        rates = owed.get(allocation.invoice_id) or [(ZERO, allocation.amount)]
        shares = split_in_proportion(allocation.amount, [total for _, total in rates])
        yield allocation, [(rate, share) for (rate, _), share in zip(rates, shares, strict=True)]


def build(flow: Flow, period: ReportingPeriod, *, declarant: dict, tracking_id: str,
          issued_at: datetime) -> ReportContent:
    """The flow's XML for `period`; a period with nothing to declare is declared empty."""
    root = etree.Element(f"{{{NS}}}Report", {"flow": flow.value, "type": flow.flow_type}, nsmap={None: NS})
    _sub(root, "Id").text = tracking_id
    _sub(root, "IssueDateTime").text = issued_at.isoformat(timespec="seconds")
    _sub(root, "Period", first=period.first.isoformat(), last=period.last.isoformat())
    _sub(root, "Declarant", **declarant)
    body = _sub(root, "Payments" if flow.is_payments else "Transactions")
    entries, base_total, vat_total = 0, ZERO, ZERO
    if flow == Flow.AGGREGATED_TRANSACTIONS:
        for day in _transactions_per_day(period):
            element = _sub(body, "Day", date=day["date"].isoformat(), currency=day["currency"],
                           invoices=day["invoices"], category="TPS1")  # services
            for rate in sorted(day["rates"]):
                base, vat = day["rates"][rate]
                _sub(element, "Vat", rate=rate, base=base, amount=vat)
                base_total, vat_total = base_total + base, vat_total + vat
            entries += 1
    elif flow == Flow.UNITARY_TRANSACTIONS:
        invoices = (Invoice.objects.filter(buyer_category="B2BINT", issue_date__range=(period.first, period.last))
                    .prefetch_related("vat_lines").select_related("credited_invoice").order_by("issue_date", "number"))
        for invoice in invoices:
            sign = _sign(invoice.kind)
            element = _sub(body, "Invoice", number=invoice.number, date=invoice.issue_date.isoformat(),
                           type="381" if sign < 0 else "380", currency=invoice.currency,
                           buyerVatNumber=invoice.buyer_vat_number, buyerCountry=_country(invoice.buyer_address),
                           vatRegime=invoice.vat_regime,
                           precedingInvoice=invoice.credited_invoice.number if invoice.credited_invoice else "")
            for line in invoice.vat_lines.all():
                _sub(element, "Vat", rate=line.rate, base=sign * line.base, amount=sign * line.vat)
                base_total, vat_total = base_total + sign * line.base, vat_total + sign * line.vat
            entries += 1
    elif flow == Flow.AGGREGATED_PAYMENTS:
        days: dict[tuple, dict] = {}
        for allocation, shares in _allocations(period, "B2C"):
            day = days.setdefault((allocation.payment.date, allocation.invoice.currency), defaultdict(lambda: ZERO))
            for rate, share in shares:
                day[rate] += share
        for (day, currency), rates in sorted(days.items()):
            element = _sub(body, "Day", date=day.isoformat(), currency=currency)
            for rate in sorted(rates):
                _sub(element, "Received", rate=rate, amount=rates[rate])
            base_total += money_sum(rates.values())
            entries += 1
    else:
        for allocation, shares in _allocations(period, "B2BINT"):
            element = _sub(body, "Payment", date=allocation.payment.date.isoformat(),
                           invoice=allocation.invoice.number, invoiceDate=allocation.invoice.issue_date.isoformat(),
                           currency=allocation.invoice.currency)
            for rate, share in shares:
                _sub(element, "Received", rate=rate, amount=share)
            base_total += allocation.amount
            entries += 1
    _sub(root, "Totals", entries=str(entries), base=str(base_total), vat=str(vat_total))
    return ReportContent(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), entries, base_total,
                         vat_total)

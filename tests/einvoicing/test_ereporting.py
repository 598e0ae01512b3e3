"""E-reporting through the platform: the period's sales to consumers (per day and rate) and abroad (one by one),
and the money received for the consumers' services, prepared once per period ended, sent, acknowledged; a rejected
report is prepared again as its next version."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.utils.timezone import now
from lxml import etree

from prebill.einvoicing import services
from prebill.einvoicing.ereporting import NS
from prebill.einvoicing.models import Report
from prebill.invoicing.services import issue_credit_note
from prebill.payments.services import cancel_payment, pay_invoice, remove_allocation
from tests import factories as f
from tests.einvoicing.platform import DAY, invoiced


@pytest.fixture
def reporting_firm(firm):
    firm.e_reporting_from, firm.vat_return_regime = date(2026, 11, 21), "normal"
    firm.save()
    return firm




def _consumer(code: str):
    client = f.client(code=code, nature="consumer")
    client.siren = client.vat_number = ""
    client.save()
    return client


def _belgian():
    client = f.client(code="BE-1", conditions={"vat_regime": "reverse_charge"})
    client.siren, client.vat_number = "", "BE0403170701"
    client.save()
    client.addresses.update(country="BE", postcode="1000", city="Bruxelles")
    return client


def _xml(report: Report):
    return etree.fromstring(bytes(report.content))


def test_the_periods_ended_are_reported_once_with_their_sales_per_day_and_rate(reporting_firm):
    first = invoiced(_consumer("P-1"), "100.00")
    invoiced(_consumer("P-2"), "50.00")
    issue_credit_note(invoice_id=first.pk, rebill=False, issue_date=DAY)
    foreign = invoiced(_belgian(), "1000.00")

    made = services.prepare_reports(today=date(2026, 12, 11))
    # Transactions by ten days (21-30 Nov, 1-10 Dec), payments by month (November): both flows of each.
    assert sorted((r.flow, r.period_first.isoformat()) for r in made) == [
        ("10.1", "2026-11-21"), ("10.1", "2026-12-01"), ("10.2", "2026-11-01"), ("10.3", "2026-11-21"),
        ("10.3", "2026-12-01"), ("10.4", "2026-11-01")]
    assert services.prepare_reports(today=date(2026, 12, 11)) == []  # once per period

    day = Report.objects.get(flow="10.3", period_first=date(2026, 11, 21))
    days = _xml(day).findall(f".//{{{NS}}}Day")
    assert [(d.get("date"), d.get("invoices")) for d in days] == [("2026-11-30", "3")]  # 2 invoices, 1 credit note
    rates = [(v.get("rate"), v.get("base"), v.get("amount")) for v in days[0].findall(f"{{{NS}}}Vat")]
    assert rates == [("20.00", "50.00", "10.00")]  # 100 + 50 - 100
    assert (day.entries, day.total_excluding_vat, day.total_vat) == (1, Decimal("50.00"), Decimal("10.00"))

    unitary = Report.objects.get(flow="10.1", period_first=date(2026, 11, 21))
    invoices = _xml(unitary).findall(f".//{{{NS}}}Invoice")
    assert [(i.get("number"), i.get("buyerVatNumber"), i.get("buyerCountry"), i.get("vatRegime")) for i in invoices] \
        == [(foreign.number, "BE0403170701", "BE", "reverse_charge")]
    empty = Report.objects.get(flow="10.3", period_first=date(2026, 12, 1))
    assert empty.entries == 0  # nothing to declare is declared


def test_the_money_received_from_consumers_is_reported_per_day_and_rate(reporting_firm):
    invoice = invoiced(_consumer("P-1"), "100.00")  # 120.00
    pay_invoice(invoice=invoice, day=date(2026, 12, 3), method="card", amount=Decimal("70.00"))
    pay_invoice(invoice=invoice, day=date(2026, 12, 3), method="card", amount=Decimal("50.00"))
    services.prepare_reports(today=date(2027, 1, 2))
    report = Report.objects.get(flow="10.4", period_first=date(2026, 12, 1))
    days = _xml(report).findall(f".//{{{NS}}}Day")
    assert [(d.get("date"), [(r.get("rate"), r.get("amount")) for r in d]) for d in days] == [
        ("2026-12-03", [("20.00", "120.00")])]
    assert report.total_excluding_vat == Decimal("120.00")


def test_reports_are_sent_acknowledged_and_a_rejected_one_prepared_again(reporting_firm, quick_platform, user_with, client):
    invoiced(_consumer("P-1"), "100.00")
    made = services.prepare_reports(today=date(2026, 12, 1))
    assert {r.flow for r in made} == {"10.1", "10.3", "10.2", "10.4"}
    services.send_due(follow_after=True)
    states = dict(Report.objects.values_list("flow", "state"))
    assert set(states.values()) == {"accepted"}
    flows = {flow["trackingId"]: flow for flow in quick_platform.flows() if flow.get("trackingId", "").startswith(
        "prebill-report-")}
    assert flows[made[0].tracking_id]["flowSyntax"] == "FRR"
    assert {flow["flowType"] for flow in flows.values()} == {
        "UnitaryCustomerTransactionReport", "AggregatedCustomerTransactionReport", "UnitaryCustomerPaymentReport",
        "AggregatedCustomerPaymentReport"}

    # A report whose totals do not add up is rejected by the platform, with the reason; prepared again, it passes.
    broken = Report.objects.get(flow="10.3")
    content = bytes(broken.content).replace(b'base="100.00" vat="20.00"', b'base="999.00" vat="20.00"')
    Report.objects.filter(flow="10.3").update(content=content, sha256=hashlib.sha256(content).hexdigest(),
                                              state="waiting", flow_id="", next_attempt_at=now(),
                                              tracking_id="prebill-report-10.3-broken")
    services.send_due(follow_after=True)
    broken.refresh_from_db()
    assert broken.state == "rejected" and "not the sums of the entries" in broken.last_error
    assert list(services.reports_to_correct()) == [broken]

    client.force_login(user_with("accountant"))
    assert "not the sums of the entries" in client.get("/einvoicing/").content.decode()
    assert client.post(f"/einvoicing/reports/{broken.pk}/again/").status_code == 302
    again = Report.objects.get(flow="10.3", version=2)
    services.send_due(follow_after=True)
    again.refresh_from_db()
    assert again.state == "accepted" and list(services.reports_to_correct()) == []


def test_no_report_before_the_firm_reports(firm):
    invoiced(_consumer("P-1"), "100.00")
    assert services.prepare_reports(today=date(2027, 1, 2)) == []


def test_money_taken_back_after_its_period_was_reported_is_declared_again(reporting_firm):
    invoice = invoiced(_consumer("P-1"), "100.00")  # 120.00
    kept = pay_invoice(invoice=invoice, day=date(2026, 12, 3), method="card", amount=Decimal("70.00"))
    mistaken = pay_invoice(invoice=invoice, day=date(2026, 12, 3), method="card", amount=Decimal("50.00"))
    services.prepare_reports(today=date(2027, 1, 2))
    first = Report.objects.get(flow="10.4", period_first=date(2026, 12, 1))
    Report.objects.filter(pk=first.pk).update(state="accepted")

    cancel_payment(payment=mistaken, reason="saisi deux fois")

    second = Report.objects.get(flow="10.4", period_first=date(2026, 12, 1), version=2)
    assert (second.state, second.total_excluding_vat) == ("waiting", Decimal("70.00"))
    days = _xml(second).findall(f".//{{{NS}}}Day")
    assert [(d.get("date"), [(r.get("rate"), r.get("amount")) for r in d]) for d in days] == [
        ("2026-12-03", [("20.00", "70.00")])]
    assert Report.objects.get(pk=first.pk).state == "accepted"  # what was sent stays as it was
    # The 10.2 of the month (abroad) says the same as before: it is not declared again.
    assert not Report.objects.filter(flow="10.2", version=2).exists()
    # Taken back before the first version went out: that one is not sent at all.
    remove_allocation(allocation=kept.allocations.get(), reason="pas ce client")
    assert Report.objects.get(pk=second.pk).state == "cancelled"
    third = Report.objects.get(flow="10.4", period_first=date(2026, 12, 1), version=3)
    assert third.total_excluding_vat == Decimal("0.00")

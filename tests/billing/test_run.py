"""The monthly run: harvest into billable items, then pre-invoices by the grouping rules."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import BillableItem, PreInvoice, PreInvoiceLine
from prebill.billing.services import run_pre_billing
from prebill.clients.models import BillingConditions
from prebill.core.periods import Period
from tests import factories as f

NOV = Period(2026, 11)
pytestmark = pytest.mark.django_db


def pre_invoices(client):
    return list(PreInvoice.objects.filter(client=client, period=NOV.first_day).order_by("document_key"))


def lines(pre_invoice):
    return list(pre_invoice.lines.order_by("position"))


def test_fixed_fee_installment_due_in_the_period_gives_its_own_pre_invoice(org):
    client = f.client()
    part = f.fixed_fee_part(f.engagement(client), installments=[
        (date(2026, 10, 31), "500.00"), (date(2026, 11, 30), "500.00"), (date(2026, 12, 31), "500.01")])

    summary = run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    [line] = lines(doc)
    assert summary.created == {"fixed_fee": 1}
    assert (line.amount, line.quantity, doc.total_excluding_vat, doc.total_vat, doc.total_including_vat) == (
        Decimal("500.00"), Decimal("1"), Decimal("500.00"), Decimal("100.00"), Decimal("600.00"))
    assert doc.invoice_date == date(2026, 11, 30)
    assert BillableItem.objects.get(installment__part=part).pre_invoice_line == line


def test_a_second_run_creates_nothing_new_and_gives_the_same_pre_invoices(org):
    client = f.client()
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "1000.00")])
    collaborator = f.collaborator()
    consulting = f.engagement(client)
    f.time_part(consulting)
    f.time_entry(collaborator, consulting, date(2026, 11, 3), "2.5")
    first = run_pre_billing(period=NOV)

    second = run_pre_billing(period=NOV)

    assert first.created == {"fixed_fee": 1, "time": 1}
    assert second.created == {} and second.updated == {}
    assert second.unchanged == {"fixed_fee": 1, "time": 1}
    assert (second.pre_invoices, second.lines, second.total_including_vat) == (
        first.pre_invoices, first.lines, first.total_including_vat)
    assert BillableItem.objects.filter(client=client).count() == 2


def test_review_decisions_survive_a_new_run(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    collaborator = f.collaborator()
    kept = f.time_entry(collaborator, engagement, date(2026, 11, 2), "1")
    dropped = f.time_entry(collaborator, engagement, date(2026, 11, 3), "2")
    run_pre_billing(period=NOV)
    BillableItem.objects.filter(time_entry=dropped).update(decision="write_off")

    summary = run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    assert [line.quantity for line in lines(doc)] == [Decimal("1")]
    assert BillableItem.objects.get(time_entry=dropped).decision == "write_off"
    assert BillableItem.objects.get(time_entry=kept).pre_invoice_line is not None
    assert summary.not_billed_now == {"write_off": 1}


def test_a_changed_time_entry_updates_its_pending_item(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, 2), "1")
    run_pre_billing(period=NOV)
    entry.hours = Decimal("3")
    entry.save()

    summary = run_pre_billing(period=NOV)

    assert summary.updated == {"time": 1}
    assert BillableItem.objects.get(time_entry=entry).amount == Decimal("300.00")
    assert pre_invoices(client)[0].total_excluding_vat == Decimal("300.00")


def test_time_is_valued_per_hour_or_per_day_at_the_most_specific_rate(org):
    client = f.client()
    senior = f.collaborator(hourly="100", daily="700", grade="senior")
    manager = f.collaborator(hourly="150", daily="1000", grade="manager")
    junior = f.collaborator(hourly="60", daily="420", grade="junior")
    hourly = f.engagement(client)
    f.time_part(hourly, rates=[{"collaborator": senior, "hourly_rate": Decimal("110")},
                               {"grade": "manager", "hourly_rate": Decimal("140")}])
    daily = f.engagement(client)
    f.time_part(daily, unit="day")
    entries = [
        f.time_entry(senior, hourly, date(2026, 11, 2), "2"),  # part rate for the collaborator: 2 h x 110
        f.time_entry(manager, hourly, date(2026, 11, 2), "1"),  # part rate for the grade: 1 h x 140
        f.time_entry(junior, hourly, date(2026, 11, 2), "1"),  # the collaborator's own rate: 1 h x 60
        f.time_entry(junior, daily, date(2026, 11, 3), "3.5"),  # half a 7-hour day at 420
    ]

    run_pre_billing(period=NOV)

    items = [BillableItem.objects.get(time_entry=e) for e in entries]
    assert [(i.quantity, i.unit, i.unit_price, i.amount) for i in items] == [
        (Decimal("2"), "hour", Decimal("110"), Decimal("220.00")),
        (Decimal("1"), "hour", Decimal("140"), Decimal("140.00")),
        (Decimal("1"), "hour", Decimal("60"), Decimal("60.00")),
        (Decimal("0.5"), "day", Decimal("420"), Decimal("210.00")),
    ]


def test_time_is_rounded_up_to_the_firms_increment(db):
    f.organisation(time_rounding_minutes=15)
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, 2), "1.1")

    run_pre_billing(period=NOV)

    item = BillableItem.objects.get(time_entry=entry)
    assert (item.quantity, item.amount) == (Decimal("1.25"), Decimal("125.00"))


def test_only_approved_time_is_billed_when_the_firm_says_so(db):
    f.organisation(bill_only_approved_time=True)
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    collaborator = f.collaborator()
    approved = f.time_entry(collaborator, engagement, date(2026, 11, 2), "1", approved=True)
    waiting = f.time_entry(collaborator, engagement, date(2026, 11, 2), "2", approved=False)

    summary = run_pre_billing(period=NOV)

    assert BillableItem.objects.filter(time_entry=approved).exists()
    assert not BillableItem.objects.filter(time_entry=waiting).exists()
    assert summary.skipped == {"time not approved yet": 1}


def test_time_up_to_the_end_of_the_period_is_harvested_and_later_time_is_not(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    collaborator = f.collaborator()
    october = f.time_entry(collaborator, engagement, date(2026, 10, 20), "1")
    december = f.time_entry(collaborator, engagement, date(2026, 12, 1), "1")
    not_billable = f.time_entry(collaborator, engagement, date(2026, 11, 5), "1", billable="no")

    run_pre_billing(period=NOV)

    assert BillableItem.objects.filter(time_entry=october).exists()
    assert not BillableItem.objects.filter(time_entry__in=[december, not_billable]).exists()


def test_undecided_time_waits_for_a_decision_and_stays_off_the_pre_invoice(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator(), engagement, date(2026, 11, 2), "1", billable="undecided")

    summary = run_pre_billing(period=NOV)

    assert BillableItem.objects.get(time_entry=entry).decision == "on_hold"
    assert pre_invoices(client) == []
    assert summary.not_billed_now == {"on_hold": 1}


def test_the_most_specific_article_rule_wins_and_is_kept_on_the_item(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    auditor = f.collaborator(groups=["AUDIT"])
    general = f.rule("R-GROUP", f.article("CONS", "STD"), group=auditor.groups.get())
    specific = f.rule("R-AUDIT", f.article("CONS", "AUD"), group=auditor.groups.get(), activity="audit")
    audit = f.time_entry(auditor, engagement, date(2026, 11, 2), "1", activity="audit")
    advice = f.time_entry(auditor, engagement, date(2026, 11, 2), "1", activity="conseil")
    other = f.time_entry(f.collaborator(), engagement, date(2026, 11, 2), "1")

    run_pre_billing(period=NOV)

    assert BillableItem.objects.get(time_entry=audit).article_rule == specific
    assert BillableItem.objects.get(time_entry=advice).article_rule == general
    item = BillableItem.objects.get(time_entry=other)
    assert (item.article_rule, item.article.code, item.article.sub_code) == (None, "CONS", "")


def test_a_tie_between_article_rules_is_reported_and_that_time_is_not_billed(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    collaborator = f.collaborator()
    f.rule("R-CLIENT", f.article("CONS", "A"), client=client)
    f.rule("R-ENGAGEMENT", f.article("CONS", "B"), engagement=engagement)
    entry = f.time_entry(collaborator, engagement, date(2026, 11, 2), "1")

    summary = run_pre_billing(period=NOV)

    assert not BillableItem.objects.filter(time_entry=entry).exists()
    [(reason, count)] = summary.skipped.items()
    assert "R-CLIENT" in reason and "R-ENGAGEMENT" in reason and count == 1


def test_time_and_materials_of_one_client_merge_on_one_invoice_whatever_the_engagement(org):
    client = f.client()
    collaborator = f.collaborator()
    for _ in range(2):
        engagement = f.engagement(client)
        f.time_part(engagement)
        f.time_entry(collaborator, engagement, date(2026, 11, 2), "1")

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    assert len(lines(doc)) == 2
    assert "regroupés" in doc.grouping_reason


def test_each_installment_has_its_own_invoice_unless_the_engagement_puts_all_parts_on_one(org):
    client = f.client()
    collaborator = f.collaborator()
    separate = f.engagement(client)
    f.fixed_fee_part(separate, installments=[(date(2026, 11, 30), "100.00")])
    f.fixed_fee_part(separate, code="JURIDIQUE", installments=[(date(2026, 11, 30), "50.00")])
    together = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(together, installments=[(date(2026, 11, 30), "200.00")])
    f.time_part(together)
    f.time_entry(collaborator, together, date(2026, 11, 30), "1")

    run_pre_billing(period=NOV)

    docs = pre_invoices(client)
    by_reason = sorted((len(lines(d)), d.total_excluding_vat) for d in docs)
    assert by_reason == [(1, Decimal("50.00")), (1, Decimal("100.00")), (2, Decimal("300.00"))]


def test_a_part_set_on_its_own_invoice_is_never_merged(org):
    client = f.client()
    collaborator = f.collaborator()
    merged = f.engagement(client)
    f.time_part(merged)
    alone = f.engagement(client)
    f.time_part(alone, on_own_invoice=True)
    f.time_entry(collaborator, merged, date(2026, 11, 2), "1")
    f.time_entry(collaborator, alone, date(2026, 11, 2), "1")
    f.time_entry(collaborator, alone, date(2026, 11, 3), "1")

    run_pre_billing(period=NOV)

    assert sorted(len(lines(d)) for d in pre_invoices(client)) == [1, 2]


def test_items_with_different_billing_addresses_or_currencies_never_share_an_invoice(org):
    client = f.client()
    collaborator = f.collaborator()
    elsewhere = f.engagement(client, billing_address=f.address(client, "LYON"))
    dollars = f.engagement(client, currency="USD")
    home = f.engagement(client)
    for engagement in (elsewhere, dollars, home):
        f.time_part(engagement)
        f.time_entry(collaborator, engagement, date(2026, 11, 2), "1")

    run_pre_billing(period=NOV)

    docs = pre_invoices(client)
    assert len(docs) == 3
    assert {(d.currency, d.billing_address.code) for d in docs} == {("USD", "main"), ("EUR", "LYON"), ("EUR", "main")}


def test_the_billing_conditions_in_force_on_the_invoice_date_apply(org):
    client = f.client(conditions={"payment_terms_days": 30})
    BillingConditions.objects.create(client=client, applies_from=date(2026, 11, 16), payment_terms_days=45,
                                     end_of_month=True, payment_method="direct_debit")
    BillingConditions.objects.create(client=client, applies_from=date(2026, 12, 1), vat_regime="reverse_charge")
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 15), "100.00"), (date(2026, 11, 30), "100.00")])

    run_pre_billing(period=NOV)

    first, second = sorted(pre_invoices(client), key=lambda d: d.invoice_date)
    assert (first.payment_terms_days, first.end_of_month, first.payment_method) == (30, False, "transfer")
    assert (second.payment_terms_days, second.end_of_month, second.payment_method) == (45, True, "direct_debit")
    assert second.vat_regime == "standard" and second.total_vat == Decimal("20.00")


def test_reverse_charge_bills_no_vat(org):
    client = f.client(conditions={"vat_regime": "reverse_charge"})
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    assert (doc.total_vat, doc.total_including_vat, lines(doc)[0].vat_rate) == (Decimal("0"), Decimal("100.00"), 0)


def test_aggregated_lines_sum_their_items_and_keep_a_link_to_each(org):
    client = f.client(conditions={"line_mode": "per_article_collaborator"})
    engagement = f.engagement(client)
    f.time_part(engagement)
    anne, paul = f.collaborator(hourly="100"), f.collaborator(hourly="100")
    entries = [f.time_entry(anne, engagement, date(2026, 11, d), "1.5") for d in (2, 3, 4)]
    entries.append(f.time_entry(paul, engagement, date(2026, 11, 2), "2"))

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    first, second = lines(doc)
    assert (first.quantity, first.amount, first.items.count()) == (Decimal("4.5"), Decimal("450.00"), 3)
    assert (second.quantity, second.amount, second.items.count()) == (Decimal("2"), Decimal("200.00"), 1)
    assert anne.name in first.designation


def test_vat_is_computed_per_rate_and_totals_are_exact_sums(org):
    client = f.client()
    engagement = f.engagement(client, all_parts_on_one_invoice=True)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "33.33")])
    f.fixed_fee_part(engagement, code="BOOKS", article_code="LIVRES", installments=[(date(2026, 11, 30), "10.01")])
    f.article("LIVRES").__class__.objects.filter(code="LIVRES").update(vat_rate=Decimal("5.5"))

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    vat = list(doc.vat_lines.order_by("rate"))
    assert [(v.rate, v.base, v.vat) for v in vat] == [
        (Decimal("5.50"), Decimal("10.01"), Decimal("0.55")), (Decimal("20.00"), Decimal("33.33"), Decimal("6.67"))]
    assert doc.total_vat == sum(v.vat for v in vat)
    assert doc.total_excluding_vat == sum(line.amount for line in lines(doc))
    assert doc.total_including_vat == doc.total_excluding_vat + doc.total_vat


def test_units_of_the_period_are_billed_at_the_part_price(org):
    client = f.client()
    f.units_part(f.engagement(client), price="18.50")
    f.metric(client, date(2026, 11, 1), "12")
    f.metric(client, date(2026, 10, 1), "99")

    summary = run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    [line] = lines(doc)
    assert summary.created == {"units": 1}
    assert (line.quantity, line.unit_price, line.amount, line.unit) == (
        Decimal("12"), Decimal("18.50"), Decimal("222.00"), "bulletin")


def test_a_metric_without_a_units_part_is_skipped_with_the_reason(org):
    client = f.client(code="CNOPART")
    f.metric(client, date(2026, 11, 1), "12")

    summary = run_pre_billing(period=NOV)

    assert summary.skipped == {"no units part bills metric PAYSLIPS of client CNOPART": 1}


def test_a_typed_designation_survives_a_rebuild(org):
    client = f.client()
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=NOV)
    PreInvoiceLine.objects.filter(pre_invoice__client=client).update(designation_override="Honoraires de novembre")

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    assert lines(doc)[0].designation_override == "Honoraires de novembre"


def test_an_item_postponed_to_a_later_period_is_billed_in_that_period(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator(), engagement, date(2026, 11, 2), "1")
    run_pre_billing(period=NOV)
    BillableItem.objects.filter(time_entry=entry).update(decision="bill_later", postponed_to=date(2026, 12, 1))

    run_pre_billing(period=NOV)
    december = run_pre_billing(period=NOV.shift(1))

    assert pre_invoices(client) == []
    assert december.items_on_pre_invoices == 1
    assert BillableItem.objects.get(time_entry=entry).period == date(2026, 12, 1)


def test_running_a_later_month_leaves_the_pending_items_of_an_earlier_one_alone(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    october_entry = f.time_entry(f.collaborator(), engagement, date(2026, 10, 20), "1")
    run_pre_billing(period=NOV.shift(-1))

    november = run_pre_billing(period=NOV)

    item = BillableItem.objects.get(time_entry=october_entry)
    assert (item.period, item.invoice_date) == (date(2026, 10, 1), date(2026, 10, 31))
    assert november.created == {} and november.updated == {} and november.pre_invoices == 0
    assert PreInvoice.objects.filter(period=date(2026, 10, 1), client=client).count() == 1


def test_a_postponed_installment_is_invoiced_at_the_end_of_its_new_month(org):
    client = f.client()
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 15), "100.00")])
    run_pre_billing(period=NOV)
    BillableItem.objects.update(decision="bill_later", postponed_to=date(2026, 12, 1))

    december = run_pre_billing(period=NOV.shift(1))

    [doc] = PreInvoice.objects.filter(period=date(2026, 12, 1))
    assert december.pre_invoices == 1 and doc.invoice_date == date(2026, 12, 31)


def test_new_terms_update_the_draft_in_place_and_a_run_that_changes_nothing_changes_no_row(org):
    client = f.client(conditions={"payment_terms_days": 30})
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=NOV)
    [first] = pre_invoices(client)
    BillingConditions.objects.create(client=client, applies_from=date(2026, 11, 1), payment_terms_days=45,
                                     end_of_month=True)

    changed = run_pre_billing(period=NOV)
    [doc] = pre_invoices(client)
    unchanged = run_pre_billing(period=NOV)

    [again] = pre_invoices(client)
    assert doc.pk == first.pk and doc.payment_terms_days == 45 and doc.version == 2
    assert (changed.drafts_changed, unchanged.drafts_changed, unchanged.drafts_created) == (1, 0, 0)
    assert (again.version, again.updated_at) == (doc.version, doc.updated_at)  # the third run wrote nothing
    assert unchanged.pre_invoices == 1


def test_the_reason_names_the_changed_terms(org):
    client = f.client(conditions={"payment_terms_days": 30})
    f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=NOV)
    BillingConditions.objects.create(client=client, applies_from=date(2026, 11, 1), payment_terms_days=45,
                                     end_of_month=True, payment_method="direct_debit")

    run_pre_billing(period=NOV)

    [doc] = pre_invoices(client)
    assert doc.last_change == ("délai de paiement : 30 jours → 45 jours fin de mois; "
                               "mode de paiement : transfer → direct_debit")


def test_rebuilding_some_clients_drafts_gives_what_a_run_gives_and_leaves_the_others_alone(org):
    from prebill.billing.context import PortfolioContext
    from prebill.billing.drafts import rebuild_drafts

    changed, other = f.client(), f.client()
    collaborator = f.collaborator()
    for client in (changed, other):
        engagement = f.engagement(client)
        f.time_part(engagement)
        f.time_entry(collaborator, engagement, date(2026, 11, 3), "2")
        f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "300.00")])
    run_pre_billing(period=NOV)
    others = [(d.pk, d.total_including_vat) for d in pre_invoices(other)]
    BillableItem.objects.filter(client=changed, installment__isnull=True).update(amount=Decimal("50.00"))

    rebuild_drafts(NOV, PortfolioContext.load(), clients=[changed.pk])
    scoped = [(d.document_key, d.total_excluding_vat, [(li.line_key, li.amount) for li in lines(d)])
              for d in pre_invoices(changed)]
    untouched = [(d.pk, d.total_including_vat) for d in pre_invoices(other)]
    rebuild_drafts(NOV, PortfolioContext.load())

    assert untouched == others  # same drafts, same ids
    assert scoped == [(d.document_key, d.total_excluding_vat, [(li.line_key, li.amount) for li in lines(d)])
                      for d in pre_invoices(changed)]
    assert sorted(total for _, total, _ in scoped) == [Decimal("50.00"), Decimal("300.00")]
    assert rebuild_drafts(NOV, PortfolioContext.load(), clients=[]).pre_invoices == 0


def test_a_scoped_rebuild_also_clears_the_draft_an_item_leaves_when_its_engagement_changes_client(org):
    from prebill.billing.context import PortfolioContext
    from prebill.billing.drafts import rebuild_drafts

    acme, beta = f.client(), f.client()
    engagement = f.engagement(acme)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    run_pre_billing(period=NOV)
    engagement.client = beta
    engagement.save()

    rebuild_drafts(NOV, PortfolioContext.load(), clients=[beta.pk])

    assert pre_invoices(acme) == []
    assert [d.total_excluding_vat for d in pre_invoices(beta)] == [Decimal("1000.00")]

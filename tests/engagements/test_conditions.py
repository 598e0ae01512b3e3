"""An engagement's own dated billing conditions ("conditions de facturation de l'affaire") win for its items."""

import json
from datetime import date

import pytest
from django.test import Client as HttpClient

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.api.models import ApiToken
from prebill.billing.context import PortfolioContext
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import bring_in_step, run_pre_billing
from prebill.catalogue.models import Article, ArticleRule
from prebill.clients.models import BillingAddress, BillingConditions, Client
from prebill.clients.services import ConditionsRefused
from prebill.core.grouping import PaymentTerms
from prebill.core.periods import Period
from prebill.costs.models import OvertimeTerms, SurchargeBand
from prebill.engagements import services
from prebill.engagements.models import (
    Engagement,
    EngagementConditions,
    EngagementPart,
    Installment,
    PartRate,
    Task,
)
from prebill.imports.portfolio import export_portfolio, import_portfolio
from prebill.orders.models import CustomerOrder, DeliveryNote
from prebill.organisation.models import InvoiceSeries, Organisation
from prebill.team.models import Collaborator, CollaboratorGroup
from tests import factories as f
from tests.imports.sample import portfolio, problems_of

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


def drafts_of(engagement) -> set[PreInvoice]:
    """The pre-invoices the engagement's items of November are on."""
    return set(PreInvoice.objects.filter(lines__items__engagement=engagement, period=NOV.first_day))


def fixed_fee(client, code):
    engagement = f.engagement(client, code=code)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "100.00")])
    return engagement


def consulting(client, code, collaborator):
    engagement = f.engagement(client, code=code)
    f.time_part(engagement)
    f.time_entry(collaborator, engagement, date(2026, 11, 3), "2")
    f.time_entry(collaborator, engagement, date(2026, 11, 4), "1")
    return engagement


def own_conditions(engagement, applies_from=date(2026, 1, 1), **values):
    return EngagementConditions.objects.create(engagement=engagement, applies_from=applies_from,
                                               **({"payment_terms_days": 45} | values))


# -- the run --------------------------------------------------------------------------------------


def test_the_engagement_on_45_days_is_billed_on_45_and_the_clients_others_on_30(org):
    client = f.client(conditions={"payment_terms_days": 30})
    special, usual = fixed_fee(client, "E-45"), fixed_fee(client, "E-30")
    own_conditions(special, end_of_month=True)

    run_pre_billing(period=NOV)

    [on_45], [on_30] = drafts_of(special), drafts_of(usual)
    assert (on_45.payment_terms_days, on_45.end_of_month) == (45, True)
    assert (on_30.payment_terms_days, on_30.end_of_month) == (30, False)


def test_time_of_an_engagement_with_its_own_conditions_leaves_the_clients_time_invoice(org):
    client = f.client(conditions={"payment_terms_days": 30})
    anne = f.collaborator()
    special, usual, other = (consulting(client, code, anne) for code in ("E-45", "E-30", "E-30B"))
    own_conditions(special)

    run_pre_billing(period=NOV)

    # Time of one client normally merges on one 'time' invoice whatever the engagement (DESIGN.md 4): the
    # engagement's own conditions take its time off it, onto an invoice of its own.
    [on_45], [on_30] = drafts_of(special), drafts_of(usual)
    assert on_45 != on_30 and drafts_of(other) == {on_30}
    assert (on_45.payment_terms_days, on_30.payment_terms_days) == (45, 30)
    assert sum(line.quantity for line in on_45.lines.all()) == 3


def test_a_conditions_row_dated_after_the_month_does_not_apply(org):
    client = f.client(conditions={"payment_terms_days": 30})
    anne = f.collaborator()
    later, usual = consulting(client, "E-LATER", anne), consulting(client, "E-30", anne)
    own_conditions(later, applies_from=date(2026, 12, 1))

    run_pre_billing(period=NOV)

    [draft] = drafts_of(later)
    assert drafts_of(usual) == {draft}  # still merged with the client's other time
    assert draft.payment_terms_days == 30


def test_the_terms_say_whose_conditions_apply(org):
    client = f.client(conditions={"payment_terms_days": 30})
    special, usual = f.engagement(client), f.engagement(client)
    own_conditions(special, applies_from=date(2026, 11, 15), payment_method="cheque")
    own_conditions(special, applies_from=date(2026, 12, 1), payment_terms_days=60)

    ctx = PortfolioContext.load()

    assert ctx.terms(special.pk, date(2026, 11, 14)).conditions_of is None  # before its first row
    before = ctx.terms(special.pk, date(2026, 11, 30))
    assert (before.conditions_of, before.payment_terms, before.payment_method) == (
        special.pk, PaymentTerms(45, False), "cheque")
    assert ctx.terms(special.pk, date(2026, 12, 31)).payment_terms == PaymentTerms(60, False)
    assert ctx.terms(usual.pk, date(2026, 11, 30)).conditions_of is None


# -- the services -----------------------------------------------------------------------------------


def test_a_row_is_refused_when_its_date_is_taken_or_its_days_negative(org):
    engagement = f.engagement(f.client())
    services.add_conditions(engagement=engagement, applies_from=date(2026, 1, 1), payment_terms_days=45,
                            bring_in_step=bring_in_step)

    with pytest.raises(ConditionsRefused, match="01/01/2026"):
        services.add_conditions(engagement=engagement, applies_from=date(2026, 1, 1), payment_terms_days=60,
                                bring_in_step=bring_in_step)
    with pytest.raises(ConditionsRefused):
        services.add_conditions(engagement=engagement, applies_from=date(2026, 2, 1), payment_terms_days=-1,
                                bring_in_step=bring_in_step)
    with pytest.raises(ConditionsRefused):
        services.add_conditions(engagement=engagement, applies_from=date(2026, 2, 1), payment_terms_days=30,
                                payment_method="barter", bring_in_step=bring_in_step)
    assert list(engagement.billing_conditions.values_list("payment_terms_days", flat=True)) == [45]


# -- the interchange file -------------------------------------------------------------------------------


def with_engagement_conditions(data: dict) -> dict:
    data["engagements"][0]["billing_conditions"] = [
        {"applies_from": "2026-01-01", "payment_terms_days": 45, "end_of_month": True},
        {"applies_from": "2026-07-01", "payment_terms_days": 60, "payment_method": "direct_debit",
         "vat_regime": "reverse_charge", "line_mode": "per_article"},
    ]
    return data


def test_engagement_conditions_are_imported_replaced_and_kept_when_absent():
    import_portfolio(with_engagement_conditions(portfolio()))
    engagement = Engagement.objects.get(code="E0001-TEN")
    assert [(c.applies_from, c.payment_terms_days, c.end_of_month, c.payment_method, c.line_mode)
            for c in engagement.billing_conditions.all()] == [
        (date(2026, 1, 1), 45, True, "transfer", "detailed"),
        (date(2026, 7, 1), 60, False, "direct_debit", "per_article")]

    import_portfolio(portfolio())  # no list in the file: the engagement keeps its rows
    assert engagement.billing_conditions.count() == 2

    data = portfolio()
    data["engagements"][0]["billing_conditions"] = [{"applies_from": "2026-07-01", "payment_terms_days": 50}]
    import_portfolio(data)  # the list in the file replaces the engagement's
    assert list(engagement.billing_conditions.values_list("applies_from", "payment_terms_days")) == [
        (date(2026, 7, 1), 50)]


def test_the_round_trip_keeps_the_engagement_conditions():
    import_portfolio(with_engagement_conditions(portfolio()))
    exported = export_portfolio()
    assert [c["payment_terms_days"] for c in exported["engagements"][0]["billing_conditions"]] == [45, 60]
    for model in (SurchargeBand, OvertimeTerms, CustomerOrder, DeliveryNote, TimeEntry, UnitMetric, ArticleRule,
                  Installment, Task, PartRate, EngagementConditions, EngagementPart, Engagement,
                  Article, BillingConditions, BillingAddress, Client, Collaborator, CollaboratorGroup,
                  InvoiceSeries, Organisation):
        model.objects.all().delete()

    import_portfolio(json.loads(json.dumps(exported)))

    assert export_portfolio() == exported
    assert EngagementConditions.objects.count() == 2


@pytest.mark.parametrize(("break_it", "where", "why"), [
    (lambda c: c.append(dict(c[0])), "$.engagements[0].billing_conditions[2]", "duplicate applies_from"),
    (lambda c: c[1].update(applies_from="2026-02-30"), "$.engagements[0].billing_conditions[1].applies_from",
     "not a date of the calendar"),
    (lambda c: c[0].update(payment_terms_days=-1), "$.engagements[0].billing_conditions[0].payment_terms_days",
     "minimum"),
    (lambda c: c[0].update(currency="USD"), "$.engagements[0].billing_conditions[0]", "unknown field"),
])
def test_a_bad_engagement_conditions_row_is_refused_at_its_path_and_nothing_is_written(break_it, where, why):
    data = with_engagement_conditions(portfolio())
    break_it(data["engagements"][0]["billing_conditions"])

    problems = problems_of(data)

    assert why in problems.get(where, ""), problems
    assert not Engagement.objects.exists() and not EngagementConditions.objects.exists()


# -- the page and the API ---------------------------------------------------------------------------------


@pytest.fixture
def engagement(org):
    return fixed_fee(f.client(code="ACME"), "E-ACME")


def test_the_page_shows_the_engagements_rows_and_a_preparer_adds_one(client, user_with, engagement):
    own_conditions(engagement)
    client.force_login(user_with("preparer"))

    response = client.post("/engagements/E-ACME/conditions/", {
        "applies_from": "2026-12-01", "payment_terms_days": "45", "end_of_month": "on",
        "vat_regime": "standard", "payment_method": "cheque", "line_mode": "per_article"}, follow=True)

    added = engagement.billing_conditions.get(applies_from=date(2026, 12, 1))
    assert (added.payment_terms_days, added.end_of_month, added.payment_method, added.line_mode) == (
        45, True, "cheque", "per_article")
    page = response.content.decode()
    assert "Conditions de facturation de la mission" in page and "Conditions enregistrées" in page
    assert 'data-conditions="2026-01-01"' in page and 'data-conditions="2026-12-01"' in page
    assert 'data-test="add-conditions"' in page and "csrfmiddlewaretoken" in page


def test_a_taken_date_or_negative_days_are_refused_on_the_page(client, user_with, engagement):
    own_conditions(engagement)
    client.force_login(user_with("preparer"))

    taken = client.post("/engagements/E-ACME/conditions/", {"applies_from": "2026-01-01", "payment_terms_days": "60"},
                        follow=True)
    negative = client.post("/engagements/E-ACME/conditions/", {"applies_from": "2026-03-01", "payment_terms_days": "-5"},
                           follow=True)

    assert "une seule ligne par date" in taken.content.decode()
    assert "délai de paiement en jours" in negative.content.decode()
    assert engagement.billing_conditions.count() == 1


def test_a_reader_sees_the_rows_but_may_not_add_one(client, user_with, engagement):
    own_conditions(engagement)
    client.force_login(user_with("validator"))

    page = client.get("/engagements/E-ACME/").content.decode()
    refused = client.post("/engagements/E-ACME/conditions/", {"applies_from": "2026-12-01", "payment_terms_days": "60"})

    assert 'data-conditions="2026-01-01"' in page and 'data-test="add-conditions"' not in page
    assert refused.status_code == 403 and engagement.billing_conditions.count() == 1


def test_the_api_shows_the_engagements_conditions(user_with, engagement):
    own_conditions(engagement, end_of_month=True)
    _, key = ApiToken.issue(user=user_with("validator", username="api-reader"), name="tool")

    shown = HttpClient(headers={"Authorization": f"Bearer {key}"}).get("/api/engagements/E-ACME").json()

    assert shown["billing_conditions"] == [{
        "applies_from": "2026-01-01", "vat_regime": "standard", "payment_terms_days": 45, "end_of_month": True,
        "payment_method": "transfer", "line_mode": "detailed"}]


def test_items_are_found_on_the_drafts_of_their_engagement(org):
    # the helper above reads the drafts through the items' lines
    client = f.client()
    engagement = fixed_fee(client, "E-ONE")
    run_pre_billing(period=NOV)
    assert drafts_of(engagement) == {BillableItem.objects.get(engagement=engagement).pre_invoice_line.pre_invoice}

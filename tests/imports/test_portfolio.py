"""Importing and exporting the portfolio interchange file: all or nothing, errors with their JSON path."""

import json
from datetime import date
from decimal import Decimal

import pytest

from prebill.activity.models import TimeEntry, UnitMetric
from prebill.catalogue.models import Article, ArticleRule
from prebill.clients.models import BillingAddress, BillingConditions, Client
from prebill.costs.models import OvertimeTerms, SurchargeBand
from prebill.engagements.models import Engagement, EngagementPart, Installment, PartRate, Task
from prebill.imports.portfolio import export_portfolio, import_portfolio, load_portfolio_file
from prebill.imports.problems import ImportRejected
from prebill.orders.models import CustomerOrder, DeliveryNote
from prebill.organisation.models import InvoiceSeries, Organisation
from prebill.team.models import Collaborator, CollaboratorGroup

from .sample import portfolio, problems_of

pytestmark = pytest.mark.django_db


def test_a_portfolio_is_imported_with_its_schedule_expanded_exactly():
    counts = import_portfolio(portfolio())

    installments = list(Installment.objects.filter(part__code="FORFAIT").order_by("due_date"))
    assert counts["clients"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert [(i.due_date, i.amount) for i in installments] == [
        (date(2026, 3, 31), Decimal("250.00")), (date(2026, 6, 30), Decimal("250.00")),
        (date(2026, 9, 30), Decimal("250.00")), (date(2026, 12, 31), Decimal("250.00"))]
    assert Engagement.objects.get(code="E0001-TEN").tasks.get(code="BILAN-1").parent.code == "BILAN"
    assert list(Collaborator.objects.get(code="JDU").groups.values_list("code", flat=True)) == ["AUDIT"]
    assert TimeEntry.objects.get(external_id="T-1").hours == Decimal("3.5")


def test_importing_the_same_file_again_changes_nothing():
    import_portfolio(portfolio())

    counts = import_portfolio(portfolio())

    assert all(c["created"] == 0 and c["updated"] == 0 for c in counts.values())


def test_a_changed_file_updates_by_business_code():
    import_portfolio(portfolio())
    data = portfolio()
    data["clients"][0]["name"] = "Boulangerie Martin & Fils"

    counts = import_portfolio(data)

    assert counts["clients"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert Client.objects.get(code="C0001").name == "Boulangerie Martin & Fils"


@pytest.mark.parametrize(("break_it", "where", "why"), [
    (lambda d: d["engagements"][0].update(client="C9999"), "$.engagements[0].client", "unknown client 'C9999'"),
    (lambda d: d["engagements"][0]["parts"][2].update(unit_price="-1"), "$.engagements[0].parts[2].unit_price",
     "negative"),
    (lambda d: d["articles"][0].update(vat_rate="120"), "$.articles[0].vat_rate", "out of range"),
    (lambda d: d["time_entries"][0].update(date="2026-02-30"), "$.time_entries[0].date", "not a date of the calendar"),
    (lambda d: d["collaborators"].append(dict(d["collaborators"][0])), "$.collaborators[2]", "duplicate"),
    (lambda d: d["clients"][0].update(siren="552100555"), "$.clients[0].siren", "checksum"),
    (lambda d: d["clients"][0].update(vat_number="FR00552100554"), "$.clients[0].vat_number", "does not match"),
    (lambda d: d["clients"][0].update(siret="55210055400014"), "$.clients[0].siret", "checksum"),
    (lambda d: d["engagements"][0]["parts"][0].update(fee_amount=0.5), "$.engagements[0].parts[0].fee_amount",
     "float"),
    (lambda d: d["engagements"][0]["parts"][1]["rates"].append({"collaborator": "NOBODY"}),
     "$.engagements[0].parts[1].rates[2].collaborator", "unknown collaborator"),
    (lambda d: d["engagements"][0]["tasks"][0].update(parent="BILAN-1"), "$.engagements[0].tasks[0].parent",
     "its own ancestor"),
    (lambda d: d["article_rules"][0].update(article="NOPE"), "$.article_rules[0].article", "unknown article"),
    (lambda d: d["clients"][0].update(colour="blue"), "$.clients[0]", "unknown field"),
    (lambda d: d["clients"][0].pop("name"), "$.clients[0]", "missing field 'name'"),
    (lambda d: d["unit_metrics"][0].update(period="2026-13"), "$.unit_metrics[0].period", "YYYY-MM"),
])
def test_bad_input_is_refused_with_its_path_and_reason(break_it, where, why):
    data = portfolio()
    break_it(data)

    problems = problems_of(data)

    assert why in problems.get(where, ""), problems


def test_explicit_installments_must_sum_to_the_fee():
    data = portfolio()
    part = data["engagements"][0]["parts"][0]
    del part["schedule"]
    part["installments"] = [{"due_date": "2026-06-30", "amount": "500.00"}, {"due_date": "2026-12-31", "amount": "499.99"}]

    problems = problems_of(data)

    assert "not to the agreed fee 1000.00" in problems["$.engagements[0].parts[0].installments"]


def test_a_refused_file_changes_nothing_and_lists_every_problem():
    import_portfolio(portfolio())
    data = portfolio()
    data["clients"][0]["name"] = "Changed"
    data["collaborators"][0]["hourly_rate"] = "-5"
    data["time_entries"][0]["engagement"] = "UNKNOWN"

    problems = problems_of(data)

    assert set(problems) == {"$.collaborators[0].hourly_rate", "$.time_entries[0].engagement"}
    assert Client.objects.get(code="C0001").name == "Boulangerie Martin"
    assert Collaborator.objects.get(code="JDU").hourly_rate == Decimal("120.00")


def test_a_syntax_error_says_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": "prebill-portfolio",\n "version": 1,,\n}')

    with pytest.raises(ImportRejected) as rejected:
        load_portfolio_file(path)

    assert rejected.value.problems[0].where == "line 2, column 15"


def test_numbers_in_the_file_are_read_as_exact_decimals(tmp_path):
    data = portfolio()
    data["collaborators"][1]["hourly_rate"] = "__NUMBER__"
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(data).replace('"__NUMBER__"', "60.10"))

    import_portfolio(load_portfolio_file(path))

    assert Collaborator.objects.get(code="PMA").hourly_rate == Decimal("60.10")


def test_the_round_trip_is_lossless():
    import_portfolio(portfolio())
    exported = export_portfolio()
    # Empty the database, then import what was exported and export again.
    for model in (SurchargeBand, OvertimeTerms, CustomerOrder, DeliveryNote, TimeEntry, UnitMetric, ArticleRule,
                  Installment, Task, PartRate,
                  EngagementPart, Engagement,
                  Article, BillingConditions, BillingAddress, Client, Collaborator, CollaboratorGroup,
                  InvoiceSeries, Organisation):
        model.objects.all().delete()

    import_portfolio(json.loads(json.dumps(exported)))

    assert export_portfolio() == exported

"""Costs paid in the client's name (débours): the flag, entered by form, CSV (English or French column) and API;
never marked up; billed at the amount paid, VAT included, without VAT (issue 15, scope item 9)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.costs import services
from prebill.costs.models import Expense, Purchase
from prebill.imports.costs import import_costs_csv
from prebill.imports.problems import ImportRejected
from prebill.organisation.models import Organisation
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def acme(firm):
    Organisation.objects.update(expense_article=f.article("FRAIS"), purchase_article=f.article("ACHAT"))
    client = f.client(code="ACME")
    engagement = f.engagement(client, "P-1")
    return client, engagement, f.collaborator("ANNE")


def _court_fees(acme, **changes):
    client, engagement, anne = acme
    fields = {"collaborator_id": anne.pk, "client_id": client.pk, "engagement_id": engagement.pk,
              "day": date(2026, 11, 6), "nature": "Frais de greffe", "amount_excluding_vat": Decimal("30.00"),
              "amount_including_vat": Decimal("36.00"), "vat_rate": Decimal("20"), "disbursement": True}
    return services.declare_expense(**{**fields, **changes})


def _items():
    return sorted((i.kind, i.amount, i.vat_rate) for i in BillableItem.objects.all())


def test_a_debours_bills_what_was_paid_vat_included_without_vat(acme):
    client, engagement, _ = acme
    expense = _court_fees(acme)
    services.record_purchase(client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 7), supplier="INPI",
                             reference="Marque", amount_excluding_vat=Decimal("10.05"), vat_rate=Decimal("5.5"),
                             disbursement=True)
    services.record_purchase(client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 8), supplier="Dell",
                             reference="PC", amount_excluding_vat=Decimal("100"), vat_rate=Decimal("20"))

    run_pre_billing(period=NOV)

    assert expense.disbursement and Expense._meta.get_field("disbursement").default is False
    assert _items() == [("disbursement", Decimal("10.60"), Decimal("0.00")),  # 10.05 + 0.5527 rounded half up
                        ("disbursement", Decimal("36.00"), Decimal("0.00")),
                        ("purchase", Decimal("100.00"), Decimal("20.00"))]
    [pre] = PreInvoice.objects.filter(document_key__startswith="expense:")
    assert {(line.kind, line.vat_rate) for line in pre.lines.all()} == {("disbursement", Decimal("0.00"))}
    assert (pre.total_vat, pre.total_including_vat) == (Decimal("0.00"), Decimal("46.60"))


def test_marking_a_pending_expense_as_debours_changes_its_item(acme):
    expense = _court_fees(acme, disbursement=False)
    run_pre_billing(period=NOV)
    before = _items()

    _court_fees(acme, expense_id=expense.pk)
    run_pre_billing(period=NOV)

    assert before == [("expense", Decimal("30.00"), Decimal("20.00"))]
    assert _items() == [("disbursement", Decimal("36.00"), Decimal("0.00"))]


@pytest.mark.parametrize("prices", [{"markup_percent": Decimal("10")}, {"resale_price": Decimal("40")}])
def test_a_debours_with_a_markup_or_a_resale_price_is_refused(acme, prices):
    client, engagement, _ = acme

    with pytest.raises(services.CostRefused, match="montant exact payé") as refused:
        services.record_purchase(client_id=client.pk, engagement_id=engagement.pk, day=date(2026, 11, 7),
                                 supplier="INPI", reference="", amount_excluding_vat=Decimal("50"),
                                 vat_rate=Decimal("20"), disbursement=True, **prices)

    assert refused.value.where == "disbursement"
    assert not Purchase.objects.exists()


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("column", "yes", "no"), [("disbursement", "yes", "no"), ("debours", "oui", "non"),
                                                    ("débours", "Oui", "")])
def test_the_csv_imports_read_the_flag_in_english_or_french(acme, tmp_path, column, yes, no):
    expenses = _write(tmp_path, "e.csv", f"collaborator;client;engagement;date;nature;amount_excluding_vat;"
                      f"amount_including_vat;vat_rate;{column}\nANNE;ACME;P-1;2026-11-10;Greffe;37.45;37.45;0;{yes}\n"
                      f"ANNE;ACME;P-1;2026-11-10;Train;84.50;92.95;10;{no}\n")
    purchases = _write(tmp_path, "p.csv", f"client,date,supplier,amount_excluding_vat,vat_rate,{column}\n"
                       f"ACME,2026-11-12,INPI,50,20,{yes}\n")

    import_costs_csv("expenses", expenses)
    import_costs_csv("purchases", purchases)

    assert list(Expense.objects.order_by("pk").values_list("nature", "disbursement")) == [
        ("Greffe", True), ("Train", False)]
    assert Purchase.objects.get().disbursement is True


def test_the_csv_refuses_a_marked_up_debours_and_a_flag_that_is_not_yes_or_no(acme, tmp_path):
    purchases = _write(tmp_path, "p.csv", "client,date,supplier,amount_excluding_vat,vat_rate,markup_percent,debours\n"
                       "ACME,2026-11-12,INPI,50,20,10,oui\nACME,2026-11-12,INPI,50,20,,peut-être\n")

    with pytest.raises(ImportRejected) as rejected:
        import_costs_csv("purchases", purchases)

    wheres = [problem.where for problem in rejected.value.problems]
    assert wheres == ["line 2, column markup_percent", "line 3, column debours"]
    assert not Purchase.objects.exists()


def test_the_api_and_the_form_take_the_flag(acme, user_with, client):
    _, key = ApiToken.issue(user=user_with("preparer", username="api"), name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})
    row = {"client": "ACME", "engagement": "P-1", "date": "2026-11-12", "supplier": "INPI",
           "amount_excluding_vat": "50", "vat_rate": "20", "disbursement": True}

    made = api.post("/api/purchases/bulk", json.dumps([row]), content_type="application/json")
    refused = api.post("/api/purchases/bulk", json.dumps([{**row, "markup_percent": "5"}]),
                       content_type="application/json")
    client.force_login(user_with("preparer"))
    client.post("/costs/expenses/", {"collaborator": "ANNE", "client": "ACME", "engagement": "P-1",
                                     "date": "2026-11-10", "nature": "Greffe", "amount_excluding_vat": "37.45",
                                     "amount_including_vat": "37.45", "vat_rate": "0", "rebillable": "1",
                                     "disbursement": "1"})
    page = client.post("/costs/purchases/", {"client": "ACME", "date": "2026-11-10", "supplier": "Cadastre",
                                             "amount_excluding_vat": "12", "vat_rate": "0", "rebillable": "1",
                                             "disbursement": "1", "resale_price": "15"}, follow=True)
    run_pre_billing(period=NOV)
    listed = api.get("/api/costs", {"period": "2026-11"}).json()

    assert made.status_code == 200 and refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == "$[0].markup_percent"
    assert Expense.objects.get().disbursement is True
    assert list(Purchase.objects.values_list("supplier", "disbursement")) == [("INPI", True)]  # Cadastre refused
    assert "débours" in page.content.decode()
    assert sorted((c["kind"], c["amount"]) for c in listed) == [("disbursement", "37.45"), ("disbursement", "60.00")]

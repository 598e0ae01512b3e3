"""Creating and changing an engagement in the app: its parts (fixed fee with a schedule drawn into installments,
time and materials with rates, units with a unit price), the rules the import applies, roles and audit."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.audit.models import AuditEvent
from prebill.billing.models import BillableItem
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Engagement, EngagementPart, Installment, PartRate
from tests import factories as f

pytestmark = pytest.mark.django_db

PARTS = {"parts-INITIAL_FORMS": "0", "parts-MIN_NUM_FORMS": "0", "parts-MAX_NUM_FORMS": "1000"}


def part(index: int, **fields) -> dict:
    values = {"code": "FORFAIT", "label": "Forfait annuel", "kind": "fixed_fee", "billing_unit": "hour",
              "fee_amount": "", "frequency": "", "schedule_start": "", "schedule_end": "", "unit_price": "",
              "metric_code": "", "article": ""} | fields
    return {f"parts-{index}-{name}": value for name, value in values.items()}


def typed(*parts: dict, **changes) -> dict:
    data = {"code": "DUP-2026", "label": "Mission comptable 2026", "engagement_class": "accounting",
            "fiscal_year": "2026", "manager": "", "salesperson": "", "currency": "EUR", "billing_address": "",
            "status": "active", **PARTS, "parts-TOTAL_FORMS": str(max(len(parts), 1))}
    for row in parts:
        data |= row
    return {key: value for key, value in (data | changes).items() if value is not None}


@pytest.fixture
def acme(org):
    return f.client(code="ACME")


def test_a_fixed_fee_with_a_schedule_is_drawn_into_installments_that_sum_to_its_fee(preparer_client, acme):
    fee = f.article("HON")

    page = preparer_client.post("/clients/ACME/engagements/new/", typed(part(
        0, article=str(fee.pk), fee_amount="1 000,00", frequency="quarterly", schedule_start="2026-01-01",
        schedule_end="2026-12-31")))

    assert page.status_code == 302 and page["Location"] == "/engagements/DUP-2026/"
    engagement = Engagement.objects.get(code="DUP-2026")
    assert (engagement.client, engagement.label, engagement.fiscal_year) == (acme, "Mission comptable 2026", 2026)
    installments = list(Installment.objects.filter(part__engagement=engagement).order_by("due_date"))
    assert [(i.due_date, i.amount) for i in installments] == [
        (date(2026, 3, 31), Decimal("250.00")), (date(2026, 6, 30), Decimal("250.00")),
        (date(2026, 9, 30), Decimal("250.00")), (date(2026, 12, 31), Decimal("250.00"))]
    assert (installments[0].period_start, installments[0].period_end) == (date(2026, 1, 1), date(2026, 3, 31))
    event = AuditEvent.objects.get(action="create_engagement")
    assert event.after["parts"][0]["fee_amount"] == "1000.00"


def test_an_uneven_fee_puts_the_remainder_on_the_last_installment(preparer_client, acme):
    fee = f.article("HON")

    preparer_client.post("/clients/ACME/engagements/new/", typed(part(
        0, article=str(fee.pk), fee_amount="1000", frequency="monthly", schedule_start="2026-01-01",
        schedule_end="2026-03-31")))

    amounts = list(Installment.objects.order_by("due_date").values_list("amount", flat=True))
    assert amounts == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]


def test_time_and_materials_and_units_parts_are_created_with_their_prices(preparer_client, acme):
    payslip = f.article("BUL", unit="bulletin")

    page = preparer_client.post("/clients/ACME/engagements/new/", typed(
        part(0, code="REGIE", label="Conseil", kind="time_and_materials", billing_unit="day"),
        part(1, code="PAIE", label="Bulletins", kind="units", article=str(payslip.pk), unit_price="18,50",
             metric_code="PAYSLIPS")))

    assert page.status_code == 302
    regie, paie = EngagementPart.objects.get(code="REGIE"), EngagementPart.objects.get(code="PAIE")
    assert (regie.kind, regie.billing_unit, regie.article) == ("time_and_materials", "day", None)
    assert (paie.unit_price, paie.metric_code, paie.article) == (Decimal("18.50"), "PAYSLIPS", payslip)
    assert not Installment.objects.exists()


def test_every_problem_of_the_engagement_and_its_parts_shows_at_once(preparer_client, acme):
    f.engagement(acme, code="TAKEN")

    page = preparer_client.post("/clients/ACME/engagements/new/", typed(
        part(0, fee_amount="", frequency="monthly", schedule_start="2026-12-31", schedule_end="2026-01-01"),
        part(1, code="PAIE", label="Bulletins", kind="units", article=""),
        code="TAKEN", currency="E1"))

    assert page.status_code == 400
    entry = page.context["entry"]
    assert entry.form.errors["code"] == ["Une mission de code TAKEN existe déjà."]
    assert entry.form.errors["currency"] == ["Une devise est un code de trois lettres (EUR)."]
    fixed, units = (form.errors for form in entry.parts.forms)
    assert fixed["article"] == ["Une prestation autre qu'en régie a besoin d'un article."]
    assert fixed["fee_amount"] == ["Une prestation au forfait a besoin de son montant."]
    assert "montant du forfait" in fixed["schedule_start"][0]
    assert units["unit_price"] == ["Une prestation à l'unité a besoin d'un prix unitaire."]
    assert 'value="Bulletins"' in page.content.decode()  # what was typed stays
    assert not Engagement.objects.filter(label="Mission comptable 2026").exists()


def test_a_schedule_ending_before_it_starts_is_refused(preparer_client, acme):
    fee = f.article("HON")

    page = preparer_client.post("/clients/ACME/engagements/new/", typed(part(
        0, article=str(fee.pk), fee_amount="1200", frequency="monthly", schedule_start="2026-12-31",
        schedule_end="2026-01-01")))

    assert "ne peut pas être établi" in page.context["entry"].parts.forms[0].errors["schedule_start"][0]
    assert not Engagement.objects.filter(code="DUP-2026").exists()


def test_an_address_of_another_client_is_refused(preparer_client, acme):
    other = f.client(code="OTHER")

    page = preparer_client.post("/clients/ACME/engagements/new/", typed(
        part(0, code="REGIE", label="Conseil", kind="time_and_materials"),
        billing_address=str(other.addresses.get().pk)))

    assert page.status_code == 400 and "billing_address" in page.context["entry"].form.errors


def test_changing_an_engagement_draws_a_new_schedule_and_adds_a_part(preparer_client, acme):
    engagement = f.engagement(acme, code="E1")
    f.fixed_fee_part(engagement, installments=[(date(2026, 6, 30), "500")], fee_amount=Decimal("500"),
                     frequency="yearly")
    fee = f.article("HON")

    page = preparer_client.post("/engagements/E1/edit/", typed(
        part(0, article=str(fee.pk), fee_amount="1200", frequency="half_yearly", schedule_start="2026-01-01",
             schedule_end="2026-12-31"),
        part(1, code="REGIE", label="Conseil", kind="time_and_materials"),
        code=None, label="Mission revue", **{"parts-INITIAL_FORMS": "1"}))

    assert page.status_code == 302
    assert Engagement.objects.get(code="E1").label == "Mission revue"
    assert list(Installment.objects.filter(part__code="FORFAIT").values_list("due_date", "amount")) == [
        (date(2026, 6, 30), Decimal("600.00")), (date(2026, 12, 31), Decimal("600.00"))]
    assert EngagementPart.objects.filter(engagement=engagement).count() == 2
    event = AuditEvent.objects.get(action="change_engagement")
    assert event.before["label"] == "Mission" and event.after["label"] == "Mission revue"


def test_a_schedule_already_taken_by_a_run_is_not_drawn_again(preparer_client, acme, firm):
    engagement = f.engagement(acme, code="E1")
    f.fixed_fee_part(engagement, installments=[(date(2026, 1, 31), "500")], fee_amount=Decimal("500"),
                     frequency="monthly")
    run_pre_billing(period=Period(2026, 1))
    assert BillableItem.objects.filter(installment__part__engagement=engagement).exists()

    page = preparer_client.post("/engagements/E1/edit/", typed(
        part(0, article=str(f.article("HON").pk), fee_amount="900", frequency="monthly", schedule_start="2026-01-01",
             schedule_end="2026-03-31"), code=None, **{"parts-INITIAL_FORMS": "1"}))

    assert page.status_code == 400
    assert "déjà prises par un lancement" in page.context["entry"].parts.forms[0].errors["schedule_start"][0]
    assert list(Installment.objects.values_list("amount", flat=True)) == [Decimal("500.00")]


def test_a_new_engagement_in_a_month_already_run_reaches_its_drafts(preparer_client, acme, firm):
    run_pre_billing(period=Period(2026, 3))
    fee = f.article("HON")

    preparer_client.post("/clients/ACME/engagements/new/", typed(part(
        0, article=str(fee.pk), fee_amount="3000", frequency="monthly", schedule_start="2026-03-01",
        schedule_end="2026-05-31")))

    drafts = acme.pre_invoices.filter(period=date(2026, 3, 1))
    assert [d.total_excluding_vat for d in drafts] == [Decimal("1000.00")]


def test_rates_of_a_time_and_materials_part_are_set_and_removed(preparer_client, acme):
    engagement = f.engagement(acme, code="E1")
    regie = f.time_part(engagement)
    fee = f.fixed_fee_part(engagement, installments=[])
    anna = f.collaborator("ANNA")

    preparer_client.post(f"/engagements/parts/{regie.pk}/rates/", {"collaborator": anna.pk, "hourly_rate": "150"})
    preparer_client.post(f"/engagements/parts/{regie.pk}/rates/", {"grade": "senior", "daily_rate": "900,50"})
    preparer_client.post(f"/engagements/parts/{regie.pk}/rates/", {"collaborator": anna.pk, "hourly_rate": "160"})
    refused = preparer_client.post(f"/engagements/parts/{fee.pk}/rates/", {"grade": "senior", "hourly_rate": "1"},
                                   follow=True)

    rates = {(r.collaborator_id, r.grade): (r.hourly_rate, r.daily_rate) for r in PartRate.objects.all()}
    assert rates == {(anna.pk, ""): (Decimal("160.00"), None), (None, "senior"): (None, Decimal("900.50"))}
    assert "Seules les prestations en régie ont des taux." in refused.content.decode()
    assert AuditEvent.objects.filter(action="part_rate").count() == 3

    preparer_client.post(f"/engagements/rates/{PartRate.objects.get(grade='senior').pk}/remove/")

    assert PartRate.objects.count() == 1 and AuditEvent.objects.filter(action="remove_part_rate").exists()


def test_reading_roles_cannot_create_or_change_an_engagement(client, user_with, acme):
    f.engagement(acme, code="E1")
    client.force_login(user_with("accountant"))

    assert client.get("/engagements/E1/").status_code == 200
    assert client.get("/clients/ACME/engagements/new/").status_code == 403
    assert client.post("/engagements/E1/edit/", typed(code=None, label="X")).status_code == 403
    assert Engagement.objects.get(code="E1").label == "Mission"


def test_the_edit_form_shows_the_engagement_and_its_parts_as_they_are(preparer_client, acme):
    engagement = f.engagement(acme, code="E1")
    f.units_part(engagement, price="18.50")

    page = preparer_client.get("/engagements/E1/edit/")

    body = page.content.decode()
    assert page.status_code == 200 and 'value="PAIE"' in body and 'value="18.50"' in body
    assert len(page.context["entry"].parts.forms) == 2  # its part and room for a new one
    assert 'href="/engagements/E1/edit/"' in preparer_client.get("/engagements/E1/").content.decode()

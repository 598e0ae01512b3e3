"""Engagement pages: parts, task tree, and the billing plan editable until it is invoiced."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import BillableItem
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.engagements.models import Installment, Task
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def engagement(org):
    engagement = f.engagement(f.client(code="ACME"), code="E-ACME", fiscal_year=2026)
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "100.00"), (date(2026, 12, 31), "100.00")])
    parent = Task.objects.create(engagement=engagement, code="BILAN", label="Bilan")
    Task.objects.create(engagement=engagement, code="INV", label="Inventaire", parent=parent)
    return engagement


def test_the_detail_shows_the_plan_per_fiscal_year_and_the_task_tree(client, user_with, engagement):
    client.force_login(user_with("validator"))

    page = client.get("/engagements/E-ACME/")

    [part] = page.context["parts"]
    assert list(part.plan) == [2026] and len(part.plan[2026]) == 2
    assert [(depth, task.code) for depth, task in page.context["tasks"]] == [(0, "BILAN"), (1, "INV")]
    body = page.content.decode()
    assert "/engagements/installments/" not in body and "/edit/" not in body  # a reader cannot edit


def test_a_preparer_changes_an_installment_not_yet_invoiced(client, user_with, engagement):
    client.force_login(user_with("preparer"))
    december = Installment.objects.get(due_date=date(2026, 12, 31))

    response = client.post(f"/engagements/installments/{december.pk}/",
                           {"due_date": "2026-12-15", "amount": "120,50", "label": "Solde"}, follow=True)

    december.refresh_from_db()
    assert (december.due_date, december.amount, december.label) == (date(2026, 12, 15), Decimal("120.50"), "Solde")
    assert "Installment saved" in response.content.decode() or "Échéance enregistrée" in response.content.decode()


def test_an_invoiced_installment_is_refused_with_the_reason(client, user_with, engagement):
    client.force_login(user_with("preparer"))
    run_pre_billing(period=Period(2026, 11))
    november = Installment.objects.get(due_date=date(2026, 11, 30))
    BillableItem.objects.filter(installment=november).update(status="billed")

    response = client.post(f"/engagements/installments/{november.pk}/",
                           {"due_date": "2026-11-30", "amount": "1.00"}, follow=True)

    assert "corrigez-la par un avoir" in response.content.decode()
    assert Installment.objects.get(pk=november.pk).amount == Decimal("100.00")


def test_a_reader_may_not_change_an_installment(client, user_with, engagement):
    client.force_login(user_with("validator"))
    installment = Installment.objects.first()

    assert client.post(f"/engagements/installments/{installment.pk}/", {"amount": "1"}).status_code == 403

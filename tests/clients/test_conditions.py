"""A client's dated billing conditions, added on its page: the drafts of months already run follow at once."""

from datetime import date

import pytest

from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.billing.services import bring_in_step, run_pre_billing
from prebill.clients import services
from prebill.clients.models import BillingConditions
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def acme(org):
    acme = f.client(code="ACME", conditions={"payment_terms_days": 30})
    f.fixed_fee_part(f.engagement(acme), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=NOV)
    return acme


def test_new_conditions_on_the_page_bring_the_months_draft_in_step_and_keep_its_id(client, user_with, acme):
    [before] = PreInvoice.objects.filter(client=acme)
    client.force_login(user_with("preparer"))

    page = client.post("/clients/ACME/conditions/", {
        "applies_from": "2026-11-01", "payment_terms_days": "45", "end_of_month": "on", "vat_regime": "standard",
        "payment_method": "cheque", "line_mode": "detailed", "currency": "eur"}, follow=True).content.decode()

    [after] = PreInvoice.objects.filter(client=acme)
    assert after.pk == before.pk and after.version > before.version
    assert (after.payment_terms_days, after.end_of_month, after.payment_method) == (45, True, "cheque")
    assert BillingConditions.objects.get(client=acme, applies_from=date(2026, 11, 1)).currency == "EUR"
    assert "Conditions enregistrées" in page and 'data-test="add-conditions"' in page
    assert AuditEvent.objects.filter(action="conditions", object_type="clients.billingconditions").count() == 1


def test_a_taken_date_a_bad_currency_or_missing_days_change_nothing(client, user_with, acme):
    client.force_login(user_with("preparer"))
    [draft] = PreInvoice.objects.filter(client=acme)

    taken = client.post("/clients/ACME/conditions/", {"applies_from": "2020-01-01", "payment_terms_days": "60"},
                        follow=True).content.decode()
    currency = client.post("/clients/ACME/conditions/", {"applies_from": "2026-11-01", "payment_terms_days": "60",
                                                         "currency": "€"}, follow=True).content.decode()
    missing = client.post("/clients/ACME/conditions/", {"applies_from": "2026-11-01"}, follow=True).content.decode()

    assert "une seule ligne par date" in taken and "trois lettres" in currency and "en jours" in missing
    assert BillingConditions.objects.filter(client=acme).count() == 1
    assert PreInvoice.objects.get(pk=draft.pk).version == draft.version


def test_only_the_portfolio_roles_add_conditions(client, user_with, acme):
    client.force_login(user_with("validator"))

    page = client.get("/clients/ACME/").content.decode()
    refused = client.post("/clients/ACME/conditions/", {"applies_from": "2026-11-01", "payment_terms_days": "60"})

    assert 'data-test="add-conditions"' not in page and refused.status_code == 403
    assert BillingConditions.objects.filter(client=acme).count() == 1


def test_the_service_brings_in_step_only_the_months_from_the_rows_date(acme):
    services.add_conditions(client=acme, applies_from=date(2026, 12, 1), payment_terms_days=60,
                            bring_in_step=bring_in_step)

    assert PreInvoice.objects.get(client=acme).payment_terms_days == 30  # November keeps its conditions


def test_the_admin_shows_the_conditions_but_changes_none(client, acme, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-admin-1")
    client.force_login(admin)
    row = BillingConditions.objects.get(client=acme)

    changed = client.post(f"/admin/clients/billingconditions/{row.pk}/change/", {"payment_terms_days": "90"})
    added = client.get("/admin/clients/billingconditions/add/")

    assert changed.status_code == 403 and added.status_code == 403
    assert BillingConditions.objects.get(pk=row.pk).payment_terms_days == 30

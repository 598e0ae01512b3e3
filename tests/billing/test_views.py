"""The pre-billing pages: the month at a glance, a pre-invoice, its sources, running the month."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prebill.billing.models import BillingRun, PreInvoice, PreInvoiceLine
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def month(org):
    """Two clients: one with a fixed fee, one with time and materials on two engagements."""
    manager = f.collaborator(code="MGR")
    fixed = f.client(code="C-FIXED")
    f.fixed_fee_part(f.engagement(fixed, code="E-FIX", manager=manager), installments=[(date(2026, 11, 30), "1234.56")])
    consulting = f.client(code="C-TIME")
    worker = f.collaborator(hourly="100")
    for code in ("E-T1", "E-T2"):
        engagement = f.engagement(consulting, code=code)
        f.time_part(engagement)
        f.time_entry(worker, engagement, date(2026, 11, 3), "2", activity="conseil")
    run_pre_billing(period=NOV)


def page(client, **params):
    return client.get(reverse("billing:pre_billing", args=[str(NOV)]), params)


def test_anonymous_users_are_sent_to_the_login_page(client, month):
    for url in (reverse("billing:pre_billing", args=[str(NOV)]), reverse("billing:pre_invoice", args=[1]),
                reverse("billing:line_sources", args=[1]), reverse("billing:run_status", args=[1])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.post(reverse("billing:start_run", args=[str(NOV)])).status_code == 302


def test_users_without_a_billing_role_are_refused(client, user_with, month):
    client.force_login(user_with())

    assert page(client).status_code == 403
    assert client.get(reverse("billing:pre_invoice", args=[PreInvoice.objects.first().pk])).status_code == 403


def test_a_validator_sees_the_month_but_may_not_run_it(client, user_with, month):
    client.force_login(user_with("validator"))

    response = page(client)

    assert response.status_code == 200
    assert "Lancer le mois" not in response.content.decode()
    assert client.post(reverse("billing:start_run", args=[str(NOV)])).status_code == 403


def test_the_month_shows_every_client_with_counts_and_totals_in_french(preparer_client, month):
    response = page(preparer_client)

    html = response.content.decode()
    assert "C-FIXED" in html and "C-TIME" in html
    assert "1\xa0234,56\xa0€" in html  # the fixed fee, as a French clerk reads it
    assert "1\xa0634,56\xa0€" in html and "1\xa0961,47\xa0€" in html  # the month excl. and incl. VAT
    assert "30/11/2026" in html
    assert response.context["overview"]["totals"]["pre_invoices"] == 2


def test_filters_narrow_the_month(preparer_client, month):
    by_kind = page(preparer_client, kind="time").context["overview"]
    by_engagement = page(preparer_client, engagement="E-FIX").context["overview"]
    by_manager = page(preparer_client, manager="MGR").context["overview"]
    by_amount = page(preparer_client, min="1000").context["overview"]
    by_search = page(preparer_client, q="time").context["overview"]

    assert [row["client__code"] for row in by_kind["clients"]] == ["C-TIME"]
    assert [row["client__code"] for row in by_engagement["clients"]] == ["C-FIXED"]
    assert [row["client__code"] for row in by_manager["clients"]] == ["C-FIXED"]
    assert [row["client__code"] for row in by_amount["clients"]] == ["C-FIXED"]
    assert [row["client__code"] for row in by_search["clients"]] == ["C-TIME"]


def test_sorting_by_amount_puts_the_largest_client_first(preparer_client, month):
    overview = page(preparer_client, sort="-total").context["overview"]

    assert [row["client__code"] for row in overview["clients"]] == ["C-FIXED", "C-TIME"]


def test_an_htmx_filter_returns_only_the_overview(preparer_client, month):
    response = preparer_client.get(reverse("billing:pre_billing", args=[str(NOV)]), {"q": "FIXED"},
                                   headers={"HX-Request": "true", "HX-Target": "overview"})

    html = response.content.decode()
    assert "C-FIXED" in html and "C-TIME" not in html
    assert "<html" not in html


def test_a_pre_invoice_shows_its_lines_and_each_line_its_time_entries(preparer_client, month):
    document = PreInvoice.objects.get(client__code="C-TIME")
    line = PreInvoiceLine.objects.filter(pre_invoice=document).first()

    detail = preparer_client.get(reverse("billing:pre_invoice", args=[document.pk])).content.decode()
    sources = preparer_client.get(reverse("billing:line_sources", args=[line.pk])).content.decode()

    assert "C-TIME" in detail and "200,00\xa0€" in detail and "TVA 20 %" in detail
    assert "Temps passé" in sources and line.items.get().time_entry.external_id in sources


def test_running_the_month_from_the_page_records_the_run(preparer_client, month):
    response = preparer_client.post(reverse("billing:start_run", args=[str(NOV)]), headers={"HX-Request": "true"})

    run = BillingRun.objects.latest("started_at")
    assert response.status_code == 200
    assert run.status == "done" and run.started_by.username == "user-preparer"
    assert "Dernier lancement terminé" in response.content.decode()


def test_an_unknown_period_or_pre_invoice_is_not_found(preparer_client, month):
    assert preparer_client.get("/billing/2026-13/").status_code == 404
    assert preparer_client.get(reverse("billing:pre_invoice", args=[999999])).status_code == 404


def test_the_page_makes_as_many_queries_for_many_clients_as_for_few(preparer_client, org):
    def add_clients(count):
        for _ in range(count):
            client = f.client()
            f.fixed_fee_part(f.engagement(client), installments=[(date(2026, 11, 30), "10.00")])
            f.units_part(f.engagement(client))
            f.metric(client, date(2026, 11, 1), "3")
        run_pre_billing(period=NOV)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert page(preparer_client).status_code == 200
        return len(captured)

    add_clients(2)
    few = queries()
    add_clients(40)

    assert queries() == few


def test_the_interface_is_french_first_and_english_on_request(preparer_client, month):
    french = page(preparer_client).content.decode()
    english = preparer_client.get(reverse("billing:pre_billing", args=[str(NOV)]),
                                  headers={"Accept-Language": "en"}).content.decode()

    assert "Pré-facturation" in french and "Relancer le mois" in french
    assert "Pre-billing" in english and "Run the month again" in english

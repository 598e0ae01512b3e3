"""The home page is the dashboard: every role sees it, what clients owe only the aged balance's roles."""

import re
from datetime import date

import pytest
from django.urls import reverse

from prebill.billing.models import PreInvoice
from prebill.invoicing import services as invoicing

from .conftest import make_portfolio

pytestmark = pytest.mark.django_db


def figure(html: str, test: str) -> str:
    return re.search(rf'data-test="{test}">([^<]*)<', html).group(1)


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_without_a_role_is_told_to_ask_for_one(client, user_with):
    client.force_login(user_with())

    response = client.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "web/home.html"
    assert 'data-test="kpis"' not in response.content.decode()


def test_a_preparer_sees_billing_and_drafts_but_not_what_clients_owe(client, user_with, portfolio):
    client.force_login(user_with("preparer"))

    html = client.get("/?on=2026-12-03").content.decode()

    assert figure(html, "billed-this-year") == "150,00\xa0€"
    assert figure(html, "unbilled") == "100,00\xa0€"
    assert figure(html, "drafts-count") == "2"
    assert 'data-test="aged"' not in html and 'data-test="due-total"' not in html
    # Each figure leads to the page that lists it; the charts say what they show.
    assert 'href="/invoices/?month=2026-11"' in html
    assert 'href="/billing/2026-12/"' in html
    assert 'href="/invoices/?period=2026-12&amp;transmission=sent"' in html
    assert "<title id=\"billed-title\">" in html and "<desc id=\"billed-desc\">" in html


@pytest.mark.parametrize("role", ["collections", "accountant", "administrator"])
def test_the_aged_balance_roles_see_the_amounts_due_by_age(client, user_with, portfolio, role):
    client.force_login(user_with(role))

    html = client.get("/?on=2026-12-03").content.decode()

    assert figure(html, "due-total") == "300,00\xa0€"
    assert '<svg class="chart" id="aged"' in html
    assert 'href="/payments/aged-balance/?on=2026-12-03"' in html


def test_logging_in_opens_the_dashboard(client, user_with):
    user_with("validator", username="val")

    response = client.post(reverse("login"), {"username": "val", "password": "pw-test-1"}, follow=True)

    assert response.redirect_chain[-1][0] == "/"
    assert "Tableau de bord" in response.content.decode()


@pytest.mark.parametrize("clients", [1, 12])
def test_the_dashboard_reads_in_a_fixed_number_of_queries(client, user_with, firm, clients,
                                                         django_assert_max_num_queries):
    make_portfolio(clients=clients)
    # The bigger firm has invoices (and amounts due) for each client too, not only drafts.
    november = PreInvoice.objects.filter(period=date(2026, 11, 1)).order_by("pk").values_list("pk", flat=True)
    for pk in list(november)[1:]:
        invoicing.validate_pre_invoice(pre_invoice_id=pk, issue_date=date(2026, 11, 30))
    client.force_login(user_with("administrator"))

    # Session, user and roles, then 8 for the figures (of which 4 for the aged balance).
    with django_assert_max_num_queries(11):
        response = client.get("/?on=2026-12-03")

    assert response.status_code == 200
    assert figure(response.content.decode(), "drafts-count") == str(clients + 1)


def test_the_figures_links_list_what_they_count(client, user_with, portfolio):
    client.force_login(user_with("preparer"))

    issued = client.get("/invoices/?month=2026-11").content.decode()
    of_the_month = client.get("/invoices/?period=2026-11&transmission=sent").content.decode()

    # Issued in November: the November invoice and the credit note; November's invoices sent: the first only.
    assert portfolio.november.number in issued and portfolio.credit_note.number in issued
    assert portfolio.october.number not in issued
    assert portfolio.november.number in of_the_month and portfolio.credit_note.number not in of_the_month
    assert "émises en novembre 2026" in issued

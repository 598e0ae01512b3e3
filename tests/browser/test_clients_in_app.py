"""A clerk creates a client and its engagement in the app, then runs the month: the client's draft is there,
with the amount of its fixed fee's installment."""

import re

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from prebill.core.identifiers import french_vat_number, siren_with_key
from tests import factories as f

from .conftest import log_in, screenshot

SIREN = siren_with_key("55203253")


@pytest.fixture
def new_firm(transactional_db):
    """A firm with an article and nothing else: every client and engagement comes from the app."""
    f.organisation()
    user = User.objects.create_user(username="claire", password="facturation-2026", first_name="Claire")
    user.groups.add(Group.objects.get_or_create(name="preparer")[0])
    return f.article("HON", label="Honoraires")


def test_create_a_client_and_its_engagement_in_the_app_and_run_the_month(page, new_firm, unfreeze_after):
    log_in(page)

    # A new client, with a typing mistake in its SIREN first: the error shows next to it, the rest stays.
    page.goto(page.base_url + "/clients/")
    page.click("[data-test=new-client]")
    form = page.locator("[data-test=client-form]")
    form.locator("input[name=code]").fill("DUPONT")
    form.locator("input[name=name]").fill("Dupont Menuiserie SAS")
    form.locator("input[name=siren]").fill(SIREN[:-1] + str((int(SIREN[-1]) + 1) % 10))
    form.locator("input[name=vat_number]").fill(french_vat_number(SIREN))
    form.locator("input[name=email]").fill("compta@dupont-menuiserie.fr")
    form.locator("input[name='addresses-0-line1']").fill("12 rue des Artisans")
    form.locator("input[name='addresses-0-postcode']").fill("69007")
    form.locator("input[name='addresses-0-city']").fill("Lyon")
    form.locator("input[name='conditions-applies_from']").fill("2026-01-01")
    form.locator("input[name='conditions-payment_terms_days']").fill("45")
    form.locator("[data-test=save]").click()
    expect(page.locator("[data-error=siren]")).to_contain_text("clé de contrôle")
    expect(page.locator("input[name=name]")).to_have_value("Dupont Menuiserie SAS")
    screenshot(page, "client-form.png")
    page.locator("input[name=siren]").fill(SIREN)
    page.locator("[data-test=save]").click()
    expect(page.locator("h1")).to_contain_text("DUPONT · Dupont Menuiserie SAS")
    expect(page.locator("[data-test=in-force]")).to_be_visible()

    # Its engagement: a fixed fee of 6 000 € drawn monthly from December to May.
    page.click("[data-test=new-engagement]")
    form = page.locator("[data-test=engagement-form]")
    form.locator("input[name=code]").fill("DUP-2027")
    form.locator("input[name=label]").fill("Tenue comptable 2027")
    part = form.locator("[data-test=part]").first
    part.locator("input[name='parts-0-code']").fill("FORFAIT")
    part.locator("input[name='parts-0-label']").fill("Forfait tenue")
    part.locator("select[name='parts-0-kind']").select_option("fixed_fee")
    part.locator("select[name='parts-0-article']").select_option(str(new_firm.pk))
    part.locator("input[name='parts-0-fee_amount']").fill("6 000,00")
    part.locator("select[name='parts-0-frequency']").select_option("monthly")
    part.locator("input[name='parts-0-schedule_start']").fill("2026-12-01")
    part.locator("input[name='parts-0-schedule_end']").fill("2027-05-31")
    form.locator("[data-test=save]").click()
    expect(page.locator("h1")).to_contain_text("DUP-2027 · Tenue comptable 2027")
    expect(page.locator("table.plan tr[data-installment]")).to_have_count(6)
    screenshot(page, "engagement-created.png")

    # The month's run gives the client its draft: the December installment, 1 000 € excl. VAT.
    page.goto(page.base_url + "/billing/2026-12/")
    with page.expect_response(lambda response: response.url.endswith("/run/") and response.request.method == "POST"):
        page.locator("#run form button").click()
    page.goto(page.base_url + "/clients/DUPONT/")
    drafts = page.locator("[data-test=drafts] tr[data-draft]")
    expect(drafts).to_have_count(1)
    expect(drafts.first).to_contain_text(re.compile(r"1\s000,00\s€"))
    expect(drafts.first).to_contain_text(re.compile(r"1\s200,00\s€"))
    screenshot(page, "client-page.png")
    drafts.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("#")
    expect(page.locator("body")).to_contain_text("Dupont Menuiserie SAS")
    screenshot(page, "client-draft.png")

"""A billing clerk reviews the month in a real browser."""

import re

from playwright.sync_api import expect

from .conftest import log_in, screenshot


def test_log_in_open_the_month_filter_and_drill_down_to_a_time_entry(page, demo):
    # Log in: the clerk lands on the pre-billing page of the current month.
    log_in(page)
    page.goto(page.base_url + "/billing/2026-11/")
    expect(page.locator("h1")).to_contain_text("2026")
    total = int(page.locator("[data-test=count]").inner_text())
    assert total > 10
    screenshot(page, "pre-billing.png")

    # Filter to time and materials: fewer pre-invoices, all of kind "time".
    page.select_option("select[name=kind]", "time")
    expect(page).to_have_url(re.compile(r"kind=time"))
    expect(page.locator("[data-test=count]")).not_to_have_text(str(total))
    assert 0 < int(page.locator("[data-test=count]").inner_text()) < total

    # Open the first pre-invoice, then the sources of its first line: the time entries behind it.
    page.locator("table.overview a").first.click()
    expect(page.locator("h1")).to_contain_text("#")
    page.locator("details.sources summary").first.click()
    first_source = page.locator("table.sources td").first
    expect(first_source).to_contain_text(re.compile(r"T\d{7}"))
    screenshot(page, "pre-invoice.png")


def test_an_anonymous_visitor_is_asked_to_log_in(page, demo):
    page.goto(page.base_url + "/billing/2026-11/")

    expect(page).to_have_url(re.compile(r"/login/\?next="))
    expect(page.locator("input[name=password]")).to_be_visible()

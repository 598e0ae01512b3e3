"""A clerk declares an expense with its receipt, sees it untreated, and puts it on an invoice."""

import re

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from prebill.billing.models import BillableItem
from prebill.organisation.models import InvoiceSeries, Organisation

from .conftest import confirm, log_in, screenshot

RECEIPT = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_declare_an_expense_with_its_receipt_see_it_untreated_and_invoice_it(page, demo, unfreeze_after, tmp_path,
                                                                               settings):
    settings.PREBILL_FILES_DIR = tmp_path / "files"
    demo.groups.add(Group.objects.get_or_create(name="validator")[0])
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    fee = BillableItem.objects.filter(installment__isnull=False, status="pending", period="2026-11-01").select_related(
        "engagement__client", "pre_invoice_line").order_by("pk").first()
    client, engagement = fee.engagement.client.code, fee.engagement.code
    receipt = tmp_path / "ticket-train.pdf"
    receipt.write_bytes(RECEIPT)
    log_in(page)

    # Declare the expense with its receipt.
    page.click("nav a[href='/costs/']")
    form = page.locator("[data-test=expense]")
    form.locator("input[name=collaborator]").fill(demo_collaborator())
    form.locator("input[name=client]").fill(client)
    form.locator("input[name=engagement]").fill(engagement)
    form.locator("input[name=date]").fill("2026-11-12")
    form.locator("input[name=nature]").fill("Train Paris-Lyon")
    form.locator("input[name=amount_excluding_vat]").fill("84,50")
    form.locator("input[name=amount_including_vat]").fill("92,95")
    form.locator("input[name=vat_rate]").fill("10")
    form.locator("input[name=receipt]").set_input_files(str(receipt))
    form.locator("button").click()
    expect(page.locator("[data-test=receipt]").first).to_have_text("ticket-train.pdf")

    # The month's run takes it: it shows at the top of the preparation page, untreated.
    page.goto(f"{page.base_url}/billing/2026-11/")
    # Wait for the run's answer: reloading at once would cancel its request.
    with page.expect_response(lambda response: response.url.endswith("/run/") and response.request.method == "POST"):
        page.locator("#run form button").click()
        confirm(page, says="Les factures déjà validées ne sont pas touchées")
    page.reload()
    row = page.locator("[data-test=rebillable]", has_text="Train Paris-Lyon")
    expect(row).to_be_visible()
    screenshot(page, "rebillables.png")

    # Put it on the fixed-fee invoice of its engagement, then validate that invoice.
    row.locator("[data-test=join] select").select_option(str(fee.pk))
    row.locator("[data-test=join] button").click()
    row = page.locator("[data-test=rebillable]", has_text="Train Paris-Lyon")
    row.locator("[data-test=on-pre-invoice]").click()
    expect(page.locator("table.lines")).to_contain_text("Train Paris-Lyon")
    page.click("[data-test=validate]")
    confirm(page, says="numéro définitif")
    expect(page.locator("h1")).to_contain_text(re.compile(r"F\d{4}-\d{6}"))

    # Treated: it has left the untreated list.
    page.goto(f"{page.base_url}/billing/2026-11/")
    expect(page.locator("[data-test=rebillable]", has_text="Train Paris-Lyon")).to_have_count(0)
    assert BillableItem.objects.get(expense__nature="Train Paris-Lyon").status == "billed"


def demo_collaborator() -> str:
    from prebill.team.models import Collaborator

    return Collaborator.objects.order_by("code").first().code

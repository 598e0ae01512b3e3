"""The clerk e-mails invoices from the invoices list (a selection, one confirmation, a summary) and one from its
page, to an SMTP server the test starts on loopback; the messages are read back with their PDF."""

import io
from datetime import date

import pypdfium2
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.invoicing.models import Invoice
from prebill.invoicing.services import validate_pre_invoice
from prebill.organisation.models import InvoiceSeries, Organisation

from .conftest import TODAY, confirm, log_in


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    return " ".join(document[n].get_textpage().get_text_range() for n in range(len(document)))


def four_invoices(demo) -> list[Invoice]:
    """Four invoices of the demo's month, their clients with a billing e-mail; the clerk validates and sends."""
    for role in ("validator", "collections"):
        demo.groups.add(Group.objects.get_or_create(name=role)[0])
    if not InvoiceSeries.objects.exists():
        InvoiceSeries.objects.create(organisation=Organisation.objects.get(), code="F", prefix="F{year}-", digits=6)
    drafts = list(PreInvoice.objects.filter(period=date(TODAY.year, TODAY.month, 1)).order_by("pk")[:4])
    invoices = [validate_pre_invoice(pre_invoice_id=draft.pk, issue_date=TODAY) for draft in drafts]
    for invoice in invoices:
        Client.objects.filter(pk=invoice.client_id).update(email=f"compta-{invoice.buyer_code.lower()}@client.test")
    return invoices


def test_send_three_invoices_from_the_list_and_read_them_back_with_their_pdf(page, demo, smtp_server):
    invoices = four_invoices(demo)
    chosen = invoices[:3]
    log_in(page)
    page.goto(page.base_url + "/invoices/")

    rows = page.locator("[data-test=invoice-row]")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("[data-test=due]")).not_to_be_empty()  # what is left to pay, per invoice
    for invoice in chosen:
        page.locator(f"[data-test=select][value='{invoice.number}']").check()
    bulk = page.locator("[data-test=invoice-bulk]")
    expect(bulk.locator("[data-selected-count]")).to_have_text("3")
    bulk.locator("[data-test=send-selection]").click()
    confirm(page, says="3 factures")

    summary = page.locator("[data-test=bulk-job]")
    expect(summary).to_have_attribute("data-state", "done", timeout=60_000)
    expect(summary.locator("[data-test=summary]")).to_contain_text("3 factures envoyées")
    assert len(smtp_server.messages) == 3
    for invoice, message in zip(sorted(chosen, key=lambda i: i.number),
                                sorted(smtp_server.messages, key=lambda m: m["Subject"]), strict=True):
        assert message["To"] == f"compta-{invoice.buyer_code.lower()}@client.test"
        assert invoice.number in message["Subject"]
        [(name, content)] = smtp_server.attachments(message).items()
        assert name == f"{invoice.number}.pdf" and content.startswith(b"%PDF")
        text = pdf_text(content)
        assert invoice.number in text and invoice.buyer_name in text

    # The fourth, from its own page, to another address typed; its send log says so.
    fourth = invoices[3]
    page.goto(f"{page.base_url}/invoices/{fourth.pk}/")
    page.fill("[data-test=send-to]", "direction@client.test")
    page.locator("[data-test=send] button").click()
    confirm(page, says=fourth.number)
    expect(page.locator("[data-test=send-log] tbody tr").first).to_have_attribute("data-state", "sent")
    assert smtp_server.envelopes[-1] == ["direction@client.test"]


def test_a_refused_email_is_shown_and_tried_again_from_the_invoice_page(page, demo, smtp_server):
    invoice = four_invoices(demo)[0]
    smtp_server.refusals = ["550 5.1.1 Mailbox unknown"]
    log_in(page)
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/")

    page.locator("[data-test=send] button").click()
    confirm(page)
    log = page.locator("[data-test=send-log] tbody tr").first
    expect(log).to_have_attribute("data-state", "failed")
    expect(log).to_contain_text("550 5.1.1 Mailbox unknown")
    log.locator("[data-test=retry]").click()

    expect(page.locator("[data-test=send-log] tbody tr").first).to_have_attribute("data-state", "sent")
    assert len(smtp_server.messages) == 1

"""A clerk logs in and reads the dashboard: the demo's figures, each checked against the database."""

import os
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Count, Q, Sum
from PIL import Image
from playwright.sync_api import expect

from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.core.refusals import Refusal
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice
from prebill.payments.models import Allocation

from .conftest import SCREENSHOTS, TODAY, log_in, screenshot

ZERO = Decimal("0.00")


def euros(amount: Decimal) -> str:
    """1 234,56 € as the pages print it (a narrow no-break space groups thousands in French)."""
    whole, cents = f"{amount:.2f}".lstrip("-").split(".")
    groups = f"{int(whole):,}".replace(",", "\u202f")
    return f"{'-' if amount < 0 else ''}{groups},{cents}\xa0€"


def shrink(path: str) -> None:
    """A flat page needs few colours: 64 keep the committed picture small (a third of the size)."""
    if os.path.exists(path) and os.environ.get("PREBILL_SCREENSHOTS"):
        Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)


def validate_some(period: Period, issue_date: date, how_many: int) -> None:
    """Validate the month's largest drafts, leaving aside those the law refuses as they stand."""
    drafts = PreInvoice.objects.filter(period=period.first_day).order_by("-total_including_vat")
    validated = 0
    for pk in drafts.values_list("pk", flat=True):
        try:
            invoicing.validate_pre_invoice(pre_invoice_id=pk, issue_date=issue_date)
        except Refusal:
            continue
        validated += 1
        if validated == how_many:
            return


def give_the_demo_a_history() -> None:
    """Part of October and of November validated, one October invoice credited in November."""
    run_pre_billing(period=Period(2026, 10))
    validate_some(Period(2026, 10), date(2026, 10, 31), 6)
    validate_some(Period.of(TODAY), TODAY, 5)
    october = Invoice.objects.filter(period=date(2026, 10, 1)).order_by("-total_excluding_vat").first()
    invoicing.issue_credit_note(invoice_id=october.pk, rebill=False, issue_date=TODAY)


def expected() -> dict:
    """The dashboard's figures read plainly from the tables, apart from the dashboard's own queries."""
    issued = Invoice.objects.filter(issue_date__year=TODAY.year)
    ht = {row["kind"]: row["total"] for row in issued.values("kind").annotate(total=Sum("total_excluding_vat"))}
    november = Invoice.objects.filter(issue_date__year=2026, issue_date__month=11)
    nov = {row["kind"]: row["total"] for row in november.values("kind").annotate(total=Sum("total_excluding_vat"))}
    drafts = PreInvoice.objects.aggregate(count=Count("pk"), total=Sum("total_excluding_vat"))
    due = ZERO
    for invoice in Invoice.objects.filter(kind="invoice").exclude(state="paid"):
        credited = invoice.credit_notes.aggregate(t=Sum("total_including_vat"))["t"] or ZERO
        paid = Allocation.objects.filter(invoice=invoice).aggregate(t=Sum("amount"))["t"] or ZERO
        due += max(invoice.total_including_vat - credited - paid, ZERO)
    month = Invoice.objects.filter(kind="invoice", period=TODAY.replace(day=1))
    return {
        "billed": ht.get("invoice", ZERO) - ht.get("credit_note", ZERO),
        "november": nov.get("invoice", ZERO) - nov.get("credit_note", ZERO),
        "unbilled": drafts["total"], "drafts": drafts["count"], "due": due,
        "validated": month.count(),
        "waiting": PreInvoice.objects.filter(period=TODAY.replace(day=1)).count(),
        "november_invoices": november.count(),
        "transmitted": month.filter(Q(transmission__state__in=["sent", "accepted"])).count(),
    }


def test_log_in_and_read_the_month_on_the_dashboard(page, demo, unfreeze_after):
    demo.groups.add(Group.objects.get_or_create(name="collections")[0])
    give_the_demo_a_history()
    want = expected()
    assert want["billed"] > 0 and want["drafts"] > 0 and want["due"] > 0

    # Logging in opens the dashboard; the clerk looks at the demo's day.
    log_in(page)
    expect(page.locator("h1")).to_contain_text("Tableau de bord")
    page.goto(page.base_url + "/?on=" + TODAY.isoformat())

    # The headline figures are the database's.
    expect(page.locator("[data-test=billed-this-year]")).to_have_text(euros(want["billed"]))
    expect(page.locator("[data-test=unbilled]")).to_have_text(euros(want["unbilled"]))
    expect(page.locator("[data-test=drafts-count]")).to_have_text(str(want["drafts"]))
    expect(page.locator("[data-test=due-total]")).to_have_text(euros(want["due"]))
    november = page.locator('table[data-test=billed] tr[data-year="2026"] td[data-month="11"]')
    expect(november).to_have_text(euros(want["november"]))
    expect(page.locator("[data-count=validated]")).to_have_text(str(want["validated"]))
    expect(page.locator("[data-count=waiting]")).to_have_text(str(want["waiting"]))
    expect(page.locator("[data-count=prepared]")).to_have_text(str(want["validated"] + want["waiting"]))
    expect(page.locator("[data-count=transmitted]")).to_have_text(str(want["transmitted"]))

    # The charts are drawn, titled and described; the twelve months are on the axis.
    expect(page.locator("svg#billed title#billed-title")).to_have_count(1)
    expect(page.locator("svg#billed desc")).to_contain_text(euros(want["billed"]))
    expect(page.locator("svg#billed text.axis")).to_have_count(12)
    expect(page.locator("svg#aged rect")).to_have_count(5)
    page.set_viewport_size({"width": 1360, "height": 1180})
    screenshot(page, "dashboard.png")
    shrink(os.path.join(SCREENSHOTS, "dashboard.png"))

    # November's figure leads to the documents issued in November.
    november.locator("a").click()
    expect(page.locator("[data-test=month-filter]")).to_contain_text("novembre 2026")
    expect(page.locator("table tbody tr")).to_have_count(want["november_invoices"])

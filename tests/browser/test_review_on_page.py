"""The clerk reviews where the drafts are: lines dragged or moved with the keyboard, a pre-invoice postponed from
its page, a selection of the month page put on hold (after the confirmation) and one put back to bill now."""

import re
from datetime import date

from django.contrib.auth.models import Permission
from django.db.models import Count
from playwright.sync_api import expect

from prebill.billing.models import BillableItem, PreInvoice

from .conftest import TODAY, confirm, log_in

MONTH = date(TODAY.year, TODAY.month, 1)


def stored(document: PreInvoice) -> list[int]:
    return list(document.lines.order_by("position").values_list("pk", flat=True))


def shown(page) -> list[int]:
    return [int(pk) for pk in page.locator("[data-test=line]").evaluate_all("rows => rows.map(r => r.dataset.line)")]


def test_drag_a_line_elsewhere_then_move_one_down_with_the_keyboard(page, demo):
    demo.user_permissions.add(Permission.objects.get(codename="special_actions"))
    document = (PreInvoice.objects.filter(period=MONTH, source=PreInvoice.Source.RUN).annotate(n=Count("lines"))
                .filter(n__gte=3).order_by("pk").first())
    first, second, third, *rest = stored(document)
    log_in(page)
    page.goto(f"{page.base_url}/billing/pre-invoices/{document.pk}/")
    assert shown(page) == [first, second, third, *rest]

    # Drag the first line onto the third: it goes after it, and the page comes back in the new order.
    rows = page.locator("[data-test=line]")
    with page.expect_navigation():
        rows.nth(0).locator("[data-test=drag]").drag_to(rows.nth(2))
    assert stored(document) == [second, third, first, *rest]
    page.reload()
    assert shown(page) == [second, third, first, *rest]

    # Alt+ArrowDown on the (focused) second line moves it one place down.
    page.locator(f"#line-{third}").focus()
    with page.expect_navigation():
        page.keyboard.press("Alt+ArrowDown")
    assert stored(document) == [second, first, third, *rest]
    expect(page.locator(f"#line-{third}")).to_be_focused()  # the moved line keeps the focus
    page.reload()
    assert shown(page) == [second, first, third, *rest]
    expect(page.locator("[data-test=position]")).to_have_text([str(n) for n in range(1, len(rest) + 4)])


def test_postpone_a_pre_invoice_from_its_page(page, demo):
    document = PreInvoice.objects.filter(period=MONTH, source=PreInvoice.Source.RUN).order_by("-pk").first()
    items = list(BillableItem.objects.filter(pre_invoice_line__pre_invoice=document).values_list("pk", flat=True))
    log_in(page)
    page.goto(f"{page.base_url}/billing/pre-invoices/{document.pk}/")

    page.locator("[data-test=postpone-month]").fill("2027-01")
    page.click("[data-test=postpone]")

    expect(page).to_have_url(re.compile(rf"/billing/{MONTH:%Y-%m}/$"))
    assert not PreInvoice.objects.filter(pk=document.pk).exists()
    assert set(BillableItem.objects.filter(pk__in=items).values_list("decision", "postponed_to")) == {
        ("bill_later", date(2027, 1, 1))}
    expect(page.locator("[data-test=set-aside-row][data-decision=bill_later]").first).to_contain_text("01/2027")


def test_put_two_ticked_pre_invoices_on_hold_then_one_back(page, demo):
    log_in(page)
    page.goto(f"{page.base_url}/billing/{MONTH:%Y-%m}/")
    boxes = page.locator("[data-test=select]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    chosen = [int(boxes.nth(i).get_attribute("value").split("@")[0]) for i in (0, 1)]
    items = list(BillableItem.objects.filter(pre_invoice_line__pre_invoice_id__in=chosen).values_list("pk", flat=True))
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    total = page.locator("[data-selected-total]").inner_text()

    # The confirmation names the count and the total; cancelled, nothing changes.
    page.click("[data-test=hold-selection]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text(total)
    expect(dialog).to_contain_text("2")
    dialog.locator("[data-test=confirm-no]").click()
    assert set(BillableItem.objects.filter(pk__in=items).values_list("decision", flat=True)) == {"bill_now"}
    page.click("[data-test=hold-selection]")
    confirm(page, says=total)

    expect(page.locator("[data-test=set-aside]")).to_be_visible()
    assert set(BillableItem.objects.filter(pk__in=items).values_list("decision", flat=True)) == {"on_hold"}
    assert not PreInvoice.objects.filter(pk__in=chosen).exists()
    held = page.locator("[data-test=set-aside-row][data-decision=on_hold]")
    count = held.count()
    assert count >= 2

    # "Put back to bill now" on one of them: it leaves the list, its items are billed again.
    held.first.locator("[data-test=bill-again]").click()
    expect(held).to_have_count(count - 1)
    assert BillableItem.objects.filter(pk__in=items, decision="bill_now").exists()

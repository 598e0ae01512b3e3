"""Postpone, write off, put on hold where the clerk is (a pre-invoice, a line, the month page's selection), and back."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from prebill.audit.models import AuditEvent
from prebill.billing import selectors
from prebill.billing.decisions import DecisionRefused, bill_again, decide_on_pre_invoices
from prebill.billing.models import BillableItem, PreInvoice, RemovedDraft
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV, DEC = Period(2026, 11), Period(2026, 12)


def a_client_with_time(days=(2, 3, 4)):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    worker = f.collaborator()
    for day in days:
        f.time_entry(worker, engagement, date(2026, 11, day), "1")
    return client


@pytest.fixture
def month(org):
    """Four clients' time in November, run: four pre-invoices of three lines each."""
    clients = [a_client_with_time() for _ in range(4)]
    run_pre_billing(period=NOV)
    return clients


def draft_of(client) -> PreInvoice:
    return PreInvoice.objects.get(client=client, period=NOV.first_day)


def items_of(client):
    return BillableItem.objects.filter(client=client).order_by("pk")


def seen(document: PreInvoice) -> list[tuple[int, int]]:
    return [(document.pk, document.version)]


def test_postponing_a_pre_invoice_sends_its_items_to_the_later_month(month, user_with):
    clerk = user_with("preparer")
    document = draft_of(month[0])

    count = decide_on_pre_invoices(drafts=seen(document), to="postpone", postpone_to=date(2026, 12, 15), user=clerk)

    assert count == 3
    assert {(i.decision, i.postponed_to) for i in items_of(month[0])} == {("bill_later", DEC.first_day)}
    assert RemovedDraft.objects.get(pre_invoice_id=document.pk).why == RemovedDraft.Why.NO_ITEMS
    events = AuditEvent.objects.filter(action="postpone")
    assert events.count() == 3 and {e.user_id for e in events} == {clerk.pk}
    assert {e.after["pre_invoice"] for e in events} == {document.pk}
    # The December run bills them.
    run_pre_billing(period=DEC)
    december = PreInvoice.objects.get(client=month[0], period=DEC.first_day)
    assert {i.pre_invoice_line.pre_invoice_id for i in items_of(month[0])} == {december.pk}
    assert {i.decision for i in items_of(month[0])} == {"bill_now"}


@pytest.mark.parametrize("to", [date(2026, 11, 30), date(2026, 11, 1), date(2026, 10, 1), None])
def test_postponing_is_refused_unless_to_a_later_month(month, to):
    document = draft_of(month[0])

    with pytest.raises(DecisionRefused, match="mois ultérieur"):
        decide_on_pre_invoices(drafts=seen(document), to="postpone", postpone_to=to)

    assert draft_of(month[0]).version == document.version
    assert {i.decision for i in items_of(month[0])} == {"bill_now"}
    assert not AuditEvent.objects.filter(action="postpone").exists()


def test_a_write_off_needs_a_reason_and_keeps_it_in_the_audit_trail(month, user_with):
    document = draft_of(month[1])

    with pytest.raises(DecisionRefused):
        decide_on_pre_invoices(drafts=seen(document), to="write_off", reason="  ")
    assert {i.decision for i in items_of(month[1])} == {"bill_now"}
    decide_on_pre_invoices(drafts=seen(document), to="write_off", reason="Geste commercial accordé au client",
                           user=user_with("preparer"))

    assert {i.decision for i in items_of(month[1])} == {"write_off"}
    assert not PreInvoice.objects.filter(pk=document.pk).exists()
    reasons = set(AuditEvent.objects.filter(action="write_off").values_list("after__reason", flat=True))
    assert reasons == {"Geste commercial accordé au client"}


def test_one_line_put_on_hold_leaves_the_others_on_the_pre_invoice(month):
    document = draft_of(month[2])
    line = document.lines.order_by("position")[1]
    held = list(line.items.values_list("pk", flat=True))

    decide_on_pre_invoices(drafts=seen(document), to="put_on_hold", line_id=line.pk)

    after = draft_of(month[2])
    assert after.pk == document.pk and after.version == document.version + 1
    assert after.lines.count() == 2
    assert set(BillableItem.objects.filter(decision="on_hold").values_list("pk", flat=True)) == set(held)
    assert set(AuditEvent.objects.filter(action="put_on_hold").values_list("after__line", flat=True)) == {line.pk}


def test_a_line_of_another_pre_invoice_is_refused(month):
    other_line = draft_of(month[1]).lines.first()

    with pytest.raises(DecisionRefused):
        decide_on_pre_invoices(drafts=seen(draft_of(month[0])), to="put_on_hold", line_id=other_line.pk)

    assert not BillableItem.objects.exclude(decision="bill_now").exists()


def test_items_set_aside_are_listed_for_the_month_and_put_back_to_bill_now(month, user_with):
    decide_on_pre_invoices(drafts=seen(draft_of(month[0])), to="put_on_hold")
    decide_on_pre_invoices(drafts=seen(draft_of(month[1])), to="postpone", postpone_to=DEC.first_day)
    decide_on_pre_invoices(drafts=seen(draft_of(month[2])), to="write_off", reason="Litige")

    listed = selectors.set_aside(NOV)
    assert listed["count"] == 9
    assert [(g["client__code"], g["decision"], g["items"]) for g in listed["groups"]] == [
        (month[0].code, "on_hold", 3), (month[1].code, "bill_later", 3), (month[2].code, "write_off", 3)]
    back = listed["groups"][1]["ids"] + listed["groups"][0]["ids"]
    assert bill_again(item_ids=back, user=user_with("preparer")) == 6

    assert {i.decision for i in BillableItem.objects.filter(client__in=month[:2])} == {"bill_now"}
    assert {i.postponed_to for i in BillableItem.objects.filter(client__in=month[:2])} == {None}
    assert draft_of(month[0]).lines.count() == 3 and draft_of(month[1]).lines.count() == 3
    assert AuditEvent.objects.filter(action="bill_again").count() == 6
    assert [g["decision"] for g in selectors.set_aside(NOV)["groups"]] == ["write_off"]


def test_bill_again_refuses_items_that_are_not_set_aside(month):
    decide_on_pre_invoices(drafts=seen(draft_of(month[0])), to="put_on_hold")
    held = list(items_of(month[0]).values_list("pk", flat=True))
    billed_now = items_of(month[1]).first().pk

    with pytest.raises(DecisionRefused):
        bill_again(item_ids=[*held, billed_now])

    assert {i.decision for i in items_of(month[0])} == {"on_hold"}


def test_a_decision_on_a_version_the_clerk_no_longer_sees_is_refused(month, user_with, client):
    document = draft_of(month[0])
    decide_on_pre_invoices(drafts=seen(document), to="put_on_hold", line_id=document.lines.first().pk)
    client.force_login(user_with("preparer"))

    with pytest.raises(DecisionRefused, match=rf"version {document.version}\D+{document.version + 1}\)"):
        decide_on_pre_invoices(drafts=seen(document), to="put_on_hold")
    page = client.post(reverse("billing:decide", args=[document.pk, "write_off"]),
                       {"version": document.version, "reason": "Trop tard"},
                       HTTP_REFERER=reverse("billing:pre_invoice", args=[document.pk]), follow=True)

    assert page.status_code == 200
    assert f"version {document.version}" in page.content.decode()
    assert items_of(month[0]).filter(decision="bill_now").count() == 2
    assert not AuditEvent.objects.filter(action="write_off").exists()


def test_a_copy_takes_no_decision(month, user_with):
    from django.contrib.auth.models import Permission

    from prebill.billing.services import duplicate_pre_invoice
    chief = user_with("preparer")
    chief.user_permissions.add(Permission.objects.get(codename="special_actions"))
    copy = duplicate_pre_invoice(pre_invoice_id=draft_of(month[0]).pk, user=chief)

    with pytest.raises(DecisionRefused):
        decide_on_pre_invoices(drafts=seen(copy), to="put_on_hold")


# The pages ------------------------------------------------------------------------------------------------

def test_the_pre_invoice_page_decides_for_a_preparer_only(month, user_with, client):
    document = draft_of(month[0])
    url = reverse("billing:pre_invoice", args=[document.pk])

    client.force_login(user_with("validator"))
    assert 'data-test="decisions"' not in client.get(url).content.decode()
    assert client.post(reverse("billing:decide", args=[document.pk, "put_on_hold"]),
                       {"version": document.version}).status_code == 403
    client.force_login(user_with("preparer"))
    page = client.get(url).content.decode()
    assert 'data-test="decisions"' in page and 'data-test="line-decide"' in page
    response = client.post(reverse("billing:decide", args=[document.pk, "postpone"]),
                           {"version": document.version, "month": "2027-01"})

    assert response.status_code == 302 and response["Location"] == reverse("billing:pre_billing", args=[str(NOV)])
    assert {i.postponed_to for i in items_of(month[0])} == {date(2027, 1, 1)}


def test_postponing_one_line_from_the_page_stays_on_the_pre_invoice(month, preparer_client):
    document = draft_of(month[0])
    line = document.lines.order_by("position").first()

    response = preparer_client.post(reverse("billing:decide", args=[document.pk, "postpone"]),
                                    {"version": document.version, "month": "2026-12", "line": line.pk})

    assert response["Location"] == reverse("billing:pre_invoice", args=[document.pk])
    assert draft_of(month[0]).lines.count() == 2
    assert items_of(month[0]).filter(decision="bill_later", postponed_to=DEC.first_day).count() == 1


def test_a_month_typed_wrong_is_refused_with_a_message(month, preparer_client):
    document = draft_of(month[0])
    back = reverse("billing:pre_invoice", args=[document.pk])

    page = preparer_client.post(reverse("billing:decide", args=[document.pk, "postpone"]),
                                {"version": document.version, "month": "décembre"}, HTTP_REFERER=back, follow=True)

    assert page.redirect_chain[-1][0] == back
    assert 'class="error"' in page.content.decode()
    assert {i.decision for i in items_of(month[0])} == {"bill_now"}


def selection(*documents) -> dict:
    return {"pre_invoice": [f"{d.pk}@{d.version}" for d in documents]}


def test_the_month_page_puts_the_ticked_pre_invoices_on_hold_in_one_request(month, preparer_client):
    ticked = [draft_of(month[0]), draft_of(month[2])]

    response = preparer_client.post(reverse("billing:decide_selection", args=[str(NOV), "put_on_hold"]),
                                    selection(*ticked))

    assert response.status_code == 302
    assert {i.decision for c in (month[0], month[2]) for i in items_of(c)} == {"on_hold"}
    assert {i.decision for c in (month[1], month[3]) for i in items_of(c)} == {"bill_now"}
    assert not PreInvoice.objects.filter(pk__in=[d.pk for d in ticked]).exists()
    page = preparer_client.get(reverse("billing:pre_billing", args=[str(NOV)])).content.decode()
    assert page.count('data-test="set-aside-row"') == 2 and 'data-test="hold-selection"' in page


def test_a_selection_is_decided_in_the_same_number_of_queries_whatever_its_size(org, user_with):
    clients = [a_client_with_time() for _ in range(8)]
    run_pre_billing(period=NOV)
    clerk = user_with("preparer")

    def queries(chosen):
        drafts = [(d.pk, d.version) for d in map(draft_of, chosen)]
        with CaptureQueriesContext(connection) as captured:
            decide_on_pre_invoices(drafts=drafts, to="write_off", reason="Fin de mission", user=clerk)
        return len(captured)

    assert queries(clients[:2]) == queries(clients[2:8])


def test_a_stale_pre_invoice_in_the_selection_refuses_it_all(month, preparer_client):
    fresh, stale = draft_of(month[0]), draft_of(month[1])
    decide_on_pre_invoices(drafts=seen(stale), to="put_on_hold", line_id=stale.lines.first().pk)
    back = reverse("billing:pre_billing", args=[str(NOV)])

    page = preparer_client.post(reverse("billing:decide_selection", args=[str(NOV), "write_off"]),
                                {**selection(fresh, stale), "reason": "Fin"}, HTTP_REFERER=back, follow=True)

    assert f"#{stale.pk}" in page.content.decode()
    assert {i.decision for i in items_of(month[0])} == {"bill_now"}
    assert not AuditEvent.objects.filter(action="write_off").exists()


def test_all_that_the_filters_show_as_counted_on_the_page(month, preparer_client):
    url = reverse("billing:decide_selection", args=[str(NOV), "postpone"])
    shown = {"scope": "filters", "q": month[3].code, "month": "2026-12"}

    refused = preparer_client.post(url, {**shown, "expected_count": "2"}, follow=True)
    assert {i.decision for i in items_of(month[3])} == {"bill_now"}
    assert 'class="error"' in refused.content.decode()
    preparer_client.post(url, {**shown, "expected_count": "1"})

    assert {i.decision for i in items_of(month[3])} == {"bill_later"}
    assert BillableItem.objects.filter(decision="bill_later").count() == 3


def test_putting_back_from_the_month_page(month, preparer_client):
    decide_on_pre_invoices(drafts=seen(draft_of(month[0])), to="put_on_hold")
    ids = list(items_of(month[0]).values_list("pk", flat=True))

    preparer_client.post(reverse("billing:bill_again", args=[str(NOV)]), {"item": ids})

    assert {i.decision for i in items_of(month[0])} == {"bill_now"}
    assert draft_of(month[0]).lines.count() == 3


@pytest.mark.parametrize("role", ["validator", "accountant", "collections"])
def test_without_the_right_to_prepare_the_month_decisions_are_forbidden(month, user_with, client, role):
    client.force_login(user_with(role))
    document = draft_of(month[0])
    decide_on_pre_invoices(drafts=seen(document), to="put_on_hold", line_id=document.lines.first().pk)
    document = draft_of(month[0])
    held = list(BillableItem.objects.filter(decision="on_hold").values_list("pk", flat=True))

    for url, data in ((reverse("billing:decide", args=[document.pk, "put_on_hold"]), {"version": document.version}),
                      (reverse("billing:decide_selection", args=[str(NOV), "put_on_hold"]), selection(document)),
                      (reverse("billing:bill_again", args=[str(NOV)]), {"item": held})):
        assert client.post(url, data).status_code == 403, url

    assert BillableItem.objects.filter(decision="on_hold").count() == len(held) == 1

"""Drafts keep their identity, stay in step with their items, and are invoiced exactly as shown."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.activity.models import TimeEntry
from prebill.audit.models import AuditEvent
from prebill.billing.models import BillableItem, DepositReservation, PreInvoice, PreInvoiceLine, RemovedDraft
from prebill.billing.services import run_pre_billing
from prebill.clients.models import BillingConditions
from prebill.core.periods import Period
from prebill.invoicing import services as invoicing
from prebill.invoicing.models import Invoice, InvoiceLineItem
from prebill.payments import services as payments
from prebill.review import services as review
from prebill.review.scope import Scope
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)
ISSUED = date(2026, 11, 30)


@pytest.fixture
def consulting(firm):
    """ACME: three entries of 3 h at 100.00 (one T&M draft of 900.00) and a fixed fee of 100.00."""
    client = f.client(code="ACME", conditions={"payment_terms_days": 30})
    engagement = f.engagement(client, "P-1")
    f.time_part(engagement)
    anne = f.collaborator("ANNE", hourly="100")
    entries = [f.time_entry(anne, engagement, date(2026, 11, day), "3") for day in (2, 3, 4)]
    f.fixed_fee_part(f.engagement(client, "FF-1"), installments=[(ISSUED, "100.00")])
    run_pre_billing(period=NOV)
    return client, entries


def drafts(client):
    return {d.document_key: d for d in PreInvoice.objects.filter(client=client)}


def test_a_run_that_changes_nothing_keeps_every_draft_and_writes_no_row(consulting):
    before = {(d.pk, d.version, d.updated_at, d.content_hash) for d in PreInvoice.objects.all()}
    lines = set(PreInvoiceLine.objects.values_list("id", flat=True))

    summary = run_pre_billing(period=NOV)

    assert {(d.pk, d.version, d.updated_at, d.content_hash) for d in PreInvoice.objects.all()} == before
    assert set(PreInvoiceLine.objects.values_list("id", flat=True)) == lines  # not even a line rewritten
    assert (summary.drafts_created, summary.drafts_changed, summary.drafts_removed) == (0, 0, 0)
    assert summary.pre_invoices == 2


def test_a_change_of_time_updates_the_draft_in_place_and_says_what_changed(consulting):
    client, entries = consulting
    time = drafts(client)["time"]
    TimeEntry.objects.filter(pk=entries[0].pk).update(hours=Decimal("1"))

    run_pre_billing(period=NOV)

    again = drafts(client)["time"]
    assert again.pk == time.pk and again.version == time.version + 1
    assert again.total_excluding_vat == Decimal("700.00")
    assert "3 → 1" in again.last_change and "total HT 900.00 → 700.00" in again.last_change


def test_review_edits_bring_the_draft_up_to_date_and_the_version_seen_before_is_refused(consulting):
    client, entries = consulting
    seen = drafts(client)["time"]
    session = review.start(scope=Scope(start=NOV.first_day, end=NOV.last_day, client_from="ACME", client_to="ACME"))
    items = {e.pk: BillableItem.objects.get(time_entry=e).pk for e in entries}

    review.edit_time(session_id=session.pk, item_id=items[entries[0].pk], hours=Decimal("1"))
    review.edit_time(session_id=session.pk, item_id=items[entries[1].pk], billable="no")

    now = PreInvoice.objects.get(pk=seen.pk)
    assert now.total_excluding_vat == Decimal("400.00")  # 1 h + 3 h, the entry made not billable is gone
    with pytest.raises(invoicing.DraftOutOfStep, match="version 1, maintenant 3"):
        invoicing.validate_pre_invoice(pre_invoice_id=seen.pk, issue_date=ISSUED, expected_version=seen.version)
    assert not Invoice.objects.exists()

    invoice = invoicing.validate_pre_invoice(pre_invoice_id=seen.pk, issue_date=ISSUED, expected_version=now.version)
    assert invoice.total_excluding_vat == Decimal("400.00")
    billed = {s.item_id: s.quantity for s in InvoiceLineItem.objects.all()}
    assert billed == {items[entries[0].pk]: Decimal("1"), items[entries[2].pk]: Decimal("3")}


def test_a_draft_out_of_step_with_its_items_is_refused_with_what_differs_then_brought_up_to_date(consulting):
    client, entries = consulting
    time = drafts(client)["time"]
    # Behind the services' back (a script, a bug): the draft no longer says what the items owe.
    BillableItem.objects.filter(time_entry=entries[0]).update(quantity=Decimal("1"), amount=Decimal("100.00"))

    with pytest.raises(invoicing.DraftOutOfStep, match=r"total HT 900\.00 → 700\.00"):
        invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED)

    assert not Invoice.objects.exists()
    fixed = PreInvoice.objects.get(pk=time.pk)
    assert fixed.total_excluding_vat == Decimal("700.00") and fixed.version == time.version + 1
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED, expected_version=fixed.version)
    assert invoice.total_excluding_vat == Decimal("700.00")


def test_each_invoice_line_is_the_sum_of_its_item_shares(consulting):
    client, _ = consulting
    time = drafts(client)["time"]

    invoice = invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED)

    for line in invoice.lines.all():
        assert line.amount == sum(s.amount for s in line.item_shares.all())
    assert invoice.total_excluding_vat == sum(line.amount for line in invoice.lines.all())


def test_a_deposit_set_aside_follows_its_draft_when_the_payment_terms_change(firm):
    client = f.client(code="ACME", conditions={"payment_terms_days": 30})
    f.fixed_fee_part(f.engagement(client), installments=[(ISSUED, "100.00")])
    run_pre_billing(period=NOV)
    [pre] = PreInvoice.objects.all()
    deposit = payments.record_payment(client_id=client.pk, day=date(2026, 11, 2), method="transfer",
                                      amount=Decimal("50.00"))
    payments.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("50.00"))
    BillingConditions.objects.create(client=client, applies_from=date(2026, 11, 1), payment_terms_days=45)

    run_pre_billing(period=NOV)

    [again] = PreInvoice.objects.all()
    assert again.pk == pre.pk and again.payment_terms_days == 45
    assert payments.pre_invoice_due(again)[1] == Decimal("70.00")  # 120.00 less the 50.00 set aside
    assert payments.deposit_left(deposit) == Decimal("0.00")


@pytest.fixture
def reserved_draft_to_go(firm):
    """A 120.00 T&M draft with 30.00 of a 50.00 deposit set aside; its only entry made not billable."""
    acme = f.client(code="ACME")
    engagement = f.engagement(acme)
    f.time_part(engagement)
    entry = f.time_entry(f.collaborator("ANNE", hourly="100"), engagement, date(2026, 11, 2), "1")
    run_pre_billing(period=NOV)
    [pre] = PreInvoice.objects.all()
    deposit = payments.record_payment(client_id=acme.pk, day=date(2026, 11, 2), method="transfer",
                                      amount=Decimal("50.00"))
    payments.reserve_deposit(payment=deposit, pre_invoice_id=pre.pk, amount=Decimal("30.00"))
    TimeEntry.objects.filter(pk=entry.pk).update(billable="no")
    return pre, deposit


def test_a_draft_that_disappears_releases_its_deposit_and_its_old_id_says_why(reserved_draft_to_go, client, user_with):
    pre, deposit = reserved_draft_to_go

    summary = run_pre_billing(period=NOV)

    assert summary.drafts_removed == 1 and not PreInvoice.objects.exists()
    assert not DepositReservation.objects.exists() and payments.deposit_left(deposit) == Decimal("50.00")
    [released] = AuditEvent.objects.filter(action="release_deposit")
    assert released.before == {"pre_invoice": pre.pk, "amount": "30.00"} and "no longer" in released.after["reason"]
    gone = RemovedDraft.objects.get(pre_invoice_id=pre.pk)
    assert gone.why == "no_items" and gone.released_deposits == Decimal("30.00")
    client.force_login(user_with("preparer"))
    page = client.get(f"/billing/pre-invoices/{pre.pk}/")
    assert page.status_code == 410
    text = page.content.decode()
    assert "plus aucun élément" in text and "30.00" in text


def test_the_old_id_of_a_validated_draft_links_to_its_invoice(consulting, client, user_with):
    acme, _ = consulting
    time = drafts(acme)["time"]
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED)
    client.force_login(user_with("preparer"))

    page = client.get(f"/billing/pre-invoices/{time.pk}/")

    assert page.status_code == 410
    assert f"a été validée en facture {invoice.number}" in page.content.decode()
    with pytest.raises(invoicing.ValidationRefused, match=invoice.number):
        invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED)


def test_items_that_move_to_another_draft_leave_a_link_to_it(firm, client, user_with):
    acme = f.client(code="ACME")
    engagement = f.engagement(acme, "P-1")
    f.time_part(engagement)
    f.time_entry(f.collaborator("ANNE", hourly="100"), engagement, date(2026, 11, 2), "1")
    run_pre_billing(period=NOV)
    [pre] = PreInvoice.objects.all()
    engagement.all_parts_on_one_invoice = True  # its time leaves the client's time draft for the engagement's
    engagement.save()

    run_pre_billing(period=NOV)

    [successor] = PreInvoice.objects.all()
    gone = RemovedDraft.objects.get(pre_invoice_id=pre.pk)
    assert gone.why == "moved" and gone.successor_id == successor.pk
    client.force_login(user_with("preparer"))
    page = client.get(f"/billing/pre-invoices/{pre.pk}/").content.decode()
    assert f"/billing/pre-invoices/{successor.pk}/" in page and f"pré-facture n° {successor.pk}" in page


def test_an_invoiced_entry_made_not_billable_or_undecided_is_an_excess_to_credit(consulting):
    client, entries = consulting
    invoicing.validate_pre_invoice(pre_invoice_id=drafts(client)["time"].pk, issue_date=ISSUED)
    TimeEntry.objects.filter(pk=entries[0].pk).update(billable="no")
    TimeEntry.objects.filter(pk=entries[1].pk).update(billable="undecided")

    summary = run_pre_billing(period=NOV)

    assert summary.excess_to_credit == 2
    assert "time" not in drafts(client)  # nothing more is owed: no draft of negative time
    owed = {i.time_entry_id: i.quantity for i in BillableItem.objects.filter(time_entry__isnull=False)}
    assert owed == {entries[0].pk: 0, entries[1].pk: 0, entries[2].pk: Decimal("3")}


def test_a_pending_entry_made_not_billable_leaves_its_draft(consulting):
    client, entries = consulting
    TimeEntry.objects.filter(pk=entries[0].pk).update(billable="no")

    run_pre_billing(period=NOV)

    assert drafts(client)["time"].total_excluding_vat == Decimal("600.00")


def test_the_page_and_the_api_send_the_version_the_user_saw(consulting, client, user_with):
    acme, entries = consulting
    time = drafts(acme)["time"]
    client.force_login(user_with("preparer", "validator"))
    page = client.get(f"/billing/pre-invoices/{time.pk}/").content.decode()
    assert 'name="version" value="1"' in page
    TimeEntry.objects.filter(pk=entries[0].pk).update(hours=Decimal("2"))
    run_pre_billing(period=NOV)

    refused = client.post(f"/invoices/validate/{time.pk}/", {"version": "1"}, follow=True)

    assert not Invoice.objects.exists()
    assert "a changé depuis que vous" in refused.content.decode()


def test_typing_a_designation_is_a_new_version_to_validate(consulting, user_with):
    from prebill.billing.services import replace_designation

    client, _ = consulting
    time = drafts(client)["time"]
    admin = user_with("administrator")
    admin.is_superuser = True
    admin.save()

    replace_designation(line_id=time.lines.first().pk, text="Conseil de novembre", user=admin)

    with pytest.raises(invoicing.DraftOutOfStep):
        invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED, expected_version=1)
    invoice = invoicing.validate_pre_invoice(pre_invoice_id=time.pk, issue_date=ISSUED, expected_version=2)
    assert invoice.lines.first().designation == "Conseil de novembre"


def test_no_query_per_draft_when_nothing_changed(firm, django_assert_max_num_queries):
    for n in range(30):
        f.fixed_fee_part(f.engagement(f.client()), installments=[(ISSUED, f"{n + 1}.00")])
    run_pre_billing(period=NOV)

    with django_assert_max_num_queries(60):
        run_pre_billing(period=NOV)


def test_importing_time_brings_the_drafts_of_the_month_run_in_step_at_once(consulting, tmp_path):
    from prebill.imports.activity import import_time_csv

    client, entries = consulting
    time = drafts(client)["time"]
    path = tmp_path / "time.csv"
    path.write_text("id,date,collaborator,engagement,hours\n"
                    f"{entries[0].external_id},2026-11-02,ANNE,P-1,5\nNEW-1,2026-11-20,ANNE,P-1,2\n")

    import_time_csv(path)

    now = PreInvoice.objects.get(pk=time.pk)
    assert now.total_excluding_vat == Decimal("1300.00")  # 5 + 3 + 3 + 2 hours at 100.00
    assert now.version == time.version + 1


def test_engagement_conditions_added_later_move_its_items_to_a_draft_of_their_own_at_once(consulting):
    from prebill.billing.services import bring_in_step
    from prebill.engagements.models import Engagement
    from prebill.engagements.services import add_conditions

    client, _ = consulting
    fee = drafts(client)
    add_conditions(engagement=Engagement.objects.get(code="FF-1"), applies_from=date(2026, 11, 1),
                   payment_terms_days=45, bring_in_step=bring_in_step)

    after = drafts(client)
    assert after["time"].pk == fee["time"].pk and after["time"].payment_terms_days == 30
    [own] = [d for key, d in after.items() if "conditions:" in key]
    assert own.payment_terms_days == 45 and "conditions de facturation propres à la mission FF-1" in own.grouping_reason


def test_the_collections_page_lists_deposits_given_back_by_drafts_that_went(reserved_draft_to_go, client, user_with):
    pre, _ = reserved_draft_to_go
    run_pre_billing(period=NOV)
    client.force_login(user_with("collections"))

    page = client.get("/payments/aged-balance/").content.decode()

    assert "Acomptes rendus" in page and f"#{pre.pk}" in page and "30,00" in page

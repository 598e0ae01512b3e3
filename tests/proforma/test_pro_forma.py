"""Pro forma for time and materials: generate, lock, change, transfer, withdraw, process, validate."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from prebill.invoicing.services import validate_pre_invoice
from prebill.proforma import services
from prebill.proforma.models import ProForma
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV, DEC = Period(2026, 11), Period(2026, 12)


@pytest.fixture
def consulting(firm):
    client = f.client(code="ACME")
    engagement = f.engagement(client)
    f.time_part(engagement)
    consultant = f.collaborator(hourly="100")
    entries = [f.time_entry(consultant, engagement, date(2026, 11, day), hours)
               for day, hours in ((2, "3"), (3, "4"), (4, "5"))]
    run_pre_billing(period=NOV)
    return client, engagement, consultant, entries


def test_generating_takes_the_cost_lines_out_of_the_month_and_onto_the_pro_forma(consulting):
    client, *_ = consulting

    pro_forma, added = services.generate(client_id=client.pk, until=NOV.last_day)
    again = run_pre_billing(period=NOV)

    assert added == 3 and pro_forma.state == "open"
    assert sum(line.amount for line in pro_forma.lines.all()) == Decimal("1200.00")
    assert again.pre_invoices == 0 and not PreInvoice.objects.exists()
    with pytest.raises(services.ProFormaRefused, match="ACME"):
        services.generate(client_id=client.pk, until=NOV.last_day)


def test_new_cost_lines_are_appended_to_the_open_pro_forma(consulting):
    client, engagement, consultant, _ = consulting
    first, _ = services.generate(client_id=client.pk, until=NOV.last_day)
    f.time_entry(consultant, engagement, date(2026, 11, 20), "1")
    run_pre_billing(period=NOV)

    second, added = services.generate(client_id=client.pk, until=NOV.last_day)

    assert second.pk == first.pk and added == 1
    assert [line.position for line in second.lines.all()] == [1, 2, 3, 4]


def test_locked_cost_lines_refuse_edits_until_the_invoice_is_validated(consulting):
    client, _, _, entries = consulting
    ids = [entry.external_id for entry in entries]

    pro_forma, _ = services.generate(client_id=client.pk, until=NOV.last_day)
    on_pro_forma = services.locked_time_entries(ids)
    pre = services.process(pro_forma_id=pro_forma.pk, on=date(2026, 11, 30))
    on_pre_invoice = services.locked_time_entries(ids)
    validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    assert set(on_pro_forma) == set(ids) and f"pro forma {pro_forma.pk}" in on_pro_forma[ids[0]]
    assert f"pré-facture {pre.pk}" in on_pre_invoice[ids[0]]
    assert services.locked_time_entries(ids) == {}


def test_aggregated_lines_keep_the_link_to_every_item_summed(firm):
    client = f.client(code="AGG", conditions={"line_mode": "per_article"})
    engagement = f.engagement(client)
    f.time_part(engagement)
    consultant = f.collaborator(hourly="100")
    for day in (2, 3, 4):
        f.time_entry(consultant, engagement, date(2026, 11, day), "2")
    run_pre_billing(period=NOV)

    pro_forma, added = services.generate(client_id=client.pk, until=NOV.last_day)

    [line] = pro_forma.lines.all()
    assert added == 1 and line.quantity == Decimal("6") and line.amount == Decimal("600.00")
    assert line.items.count() == 3


def test_changed_transferred_and_withdrawn_lines_on_processing(consulting):
    client, _, _, entries = consulting
    pro_forma, _ = services.generate(client_id=client.pk, until=NOV.last_day)
    kept, moved, dropped = pro_forma.lines.order_by("position")

    services.change_amount(line_id=kept.pk, amount=Decimal("250.00"))
    services.set_status(line_id=moved.pk, status="transferred")
    services.set_status(line_id=dropped.pk, status="withdrawn")
    pre = services.process(pro_forma_id=pro_forma.pk, on=date(2026, 11, 30))
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))
    later, added = services.generate(client_id=client.pk, until=DEC.last_day)

    assert (pre.total_excluding_vat, invoice.total_excluding_vat) == (Decimal("250.00"), Decimal("250.00"))
    assert invoice.lines.get().item_shares.get().amount == Decimal("250.00")
    assert later.pk != pro_forma.pk and added == 1
    assert later.lines.get().items.get().item.time_entry == entries[1]
    withdrawn = BillableItem.objects.get(time_entry=entries[2])
    assert (withdrawn.decision, withdrawn.status) == ("write_off", "pending")
    run_pre_billing(period=NOV)
    assert not PreInvoice.objects.filter(source="run").exists()
    with pytest.raises(services.ProFormaRefused, match="traitée"):
        services.change_amount(line_id=kept.pk, amount=Decimal("1"))


def test_a_changed_amount_is_shared_among_the_items_it_sums_to_the_cent(firm):
    client = f.client(code="AGG", conditions={"line_mode": "per_article"})
    engagement = f.engagement(client)
    f.time_part(engagement)
    consultant = f.collaborator(hourly="100")
    entries = [f.time_entry(consultant, engagement, date(2026, 11, day), "1") for day in (2, 3, 4)]
    run_pre_billing(period=NOV)
    pro_forma, _ = services.generate(client_id=client.pk, until=NOV.last_day)

    services.change_amount(line_id=pro_forma.lines.get().pk, amount=Decimal("100.00"))
    pre = services.process(pro_forma_id=pro_forma.pk, on=date(2026, 11, 30))
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    shares = sorted(share.amount for share in invoice.lines.get().item_shares.all())
    assert shares == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert BillableItem.objects.filter(time_entry__in=entries, status="billed").count() == 3


def test_processing_refuses_an_empty_or_processed_pro_forma(consulting):
    client, *_ = consulting
    pro_forma, _ = services.generate(client_id=client.pk, until=NOV.last_day)
    for line in pro_forma.lines.all():
        services.set_status(line_id=line.pk, status="withdrawn")

    with pytest.raises(services.ProFormaRefused, match="Il ne reste rien"):
        services.process(pro_forma_id=pro_forma.pk)
    services.set_status(line_id=pro_forma.lines.first().pk, status="open")
    services.process(pro_forma_id=pro_forma.pk, on=date(2026, 11, 30))
    with pytest.raises(services.ProFormaRefused, match="pro forma ouverte"):
        services.process(pro_forma_id=pro_forma.pk)
    assert ProForma.objects.get().state == "processed"


def test_an_import_may_not_change_a_locked_time_entry_but_may_repeat_it(consulting, user_with):
    import json

    from django.test import Client

    from prebill.api.models import ApiToken

    client, engagement, consultant, entries = consulting
    services.generate(client_id=client.pk, until=NOV.last_day)
    _, key = ApiToken.issue(user=user_with("preparer"), name="t")
    api = Client(headers={"Authorization": f"Bearer {key}"})
    row = {"id": entries[0].external_id, "date": "2026-11-02", "collaborator": consultant.code,
           "engagement": engagement.code, "hours": "3"}

    same = api.post("/api/time-entries/bulk", json.dumps([row]), content_type="application/json")
    changed = api.post("/api/time-entries/bulk", json.dumps([{**row, "hours": "6"}]),
                       content_type="application/json")

    assert same.status_code == 200 and same.json()["unchanged"] == 1
    assert changed.status_code == 422
    [problem] = changed.json()["detail"]
    assert problem["loc"] == "$[0].id" and "pro forma" in problem["msg"]
    entries[0].refresh_from_db()
    assert entries[0].hours == Decimal("3")


def test_the_pro_forma_through_the_api(consulting, user_with):
    import json

    from django.test import Client

    from prebill.api.models import ApiToken

    client, *_ = consulting

    def caller(role):
        _, key = ApiToken.issue(user=user_with(role, username=role), name="t")
        return Client(headers={"Authorization": f"Bearer {key}"})

    preparer, validator = caller("preparer"), caller("validator")

    def call(who, method, url, data=None):
        return getattr(who, method)(url, json.dumps(data or {}), content_type="application/json")

    refused = call(validator, "post", "/api/pro-formas", {"client": "ACME", "until": "2026-11-30"})
    made = call(preparer, "post", "/api/pro-formas", {"client": "ACME", "until": "2026-11-30"}).json()
    first, second, third = (line["id"] for line in made["lines"])
    call(preparer, "put", f"/api/pro-forma-lines/{first}/amount", {"amount": "250.00"})
    call(preparer, "put", f"/api/pro-forma-lines/{second}/status", {"status": "transferred"})
    bad = call(preparer, "put", f"/api/pro-forma-lines/{third}/status", {"status": "gone"})
    read = validator.get(f"/api/pro-formas/{made['id']}").json()
    pre = call(preparer, "post", f"/api/pro-formas/{made['id']}/process", {"on": "2026-11-30"})
    again = call(preparer, "post", f"/api/pro-formas/{made['id']}/process", {"on": "2026-11-30"})

    assert refused.status_code == 403 and made["client"] == "ACME" and len(made["lines"]) == 3
    assert bad.status_code == 422
    assert [(line["amount"], line["status"]) for line in read["lines"]] == [
        ("250.00", "open"), ("400.00", "transferred"), ("500.00", "open")]
    assert pre.status_code == 201 and pre.json()["total_excluding_vat"] == "750.00"
    assert pre.json()["source"] == "pro_forma"
    assert again.status_code == 409 and "ouverte" in again.json()["detail"]
    assert client.pro_formas.get().state == "processed"


def test_a_changed_amount_reprices_the_line_so_the_invoice_reads_quantity_times_price(firm):
    client = f.client(code="PAY", conditions={"line_mode": "per_article"})
    engagement = f.engagement(client)
    f.time_part(engagement)
    consultant = f.collaborator(hourly="16.50")
    for day in (2, 3, 4, 5):
        f.time_entry(consultant, engagement, date(2026, 11, day), "1")
    run_pre_billing(period=NOV)
    pro_forma, _ = services.generate(client_id=client.pk, until=NOV.last_day)

    line = services.change_amount(line_id=pro_forma.lines.get().pk, amount=Decimal("1000.00"))
    pre = services.process(pro_forma_id=pro_forma.pk, on=date(2026, 11, 30))
    invoice = validate_pre_invoice(pre_invoice_id=pre.pk, issue_date=date(2026, 11, 30))

    billed = invoice.lines.get()
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("4"), Decimal("250"), Decimal("1000.00"))
    assert (billed.quantity, billed.unit_price, billed.amount) == (Decimal("4"), Decimal("250"), Decimal("1000.00"))
    assert billed.quantity * billed.unit_price == billed.amount

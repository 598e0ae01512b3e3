"""E-invoicing through the API: an invoice's life cycle at the platform, the transmissions by status and to
correct, a transmission sent again, the statuses read now, a client looked up, the e-reporting flows."""

from datetime import date

import pytest

from prebill.einvoicing import services
from prebill.einvoicing.models import Report, Transmission
from tests import factories as f
from tests.api.test_invoicing import caller, post  # noqa: F401  (the fixture)
from tests.einvoicing.platform import DAY, invoiced, quick_platform  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db






def test_the_life_cycle_of_an_invoice_and_the_transmissions_by_status(firm, quick_platform, caller):  # noqa: F811
    accepted, rejected = invoiced(), invoiced()
    services.send_transmission(Transmission.objects.get(invoice=accepted).pk)
    quick_platform.reject_next("REJ_SEMAN", "BR-FR-12: adresse électronique de l'acheteur absente")
    services.send_transmission(Transmission.objects.get(invoice=rejected).pk)
    validator = caller("validator")
    followed = post(validator, "/api/einvoicing/follow", {})
    assert followed.status_code == 200 and followed.json() == {"statuses": 2}

    life = validator.get(f"/api/invoices/{accepted.number}/einvoicing").json()
    assert (life["state"], life["status"], life["status_label"], life["to_correct"]) == (
        "accepted", 200, "Déposée", False)
    assert [s["code"] for s in life["statuses"]] == [200]
    by_status = validator.get("/api/einvoicing/transmissions?status=213").json()
    assert [t["invoice"] for t in by_status] == [rejected.number]
    assert by_status[0]["statuses"][0]["reasons"][0]["code"] == "REJ_SEMAN"
    to_correct = validator.get("/api/einvoicing/transmissions?to_correct=true").json()
    assert [t["invoice"] for t in to_correct] == [rejected.number]
    assert validator.get("/api/invoices/F2026-999999/einvoicing").status_code == 404


def test_send_again_and_look_up_need_their_roles(firm, quick_platform, caller, settings):  # noqa: F811
    settings.PREBILL_PA_ATTEMPTS = 1
    invoice = invoiced()
    quick_platform.fail_next(1, 503, method="POST", path="/flow-service/v1/flows")
    services.send_due()
    assert Transmission.objects.get(invoice=invoice).state == "failed"

    validator = caller("validator")
    assert post(caller("collections"), f"/api/invoices/{invoice.number}/einvoicing/send-again", {}).status_code == 403
    again = post(validator, f"/api/invoices/{invoice.number}/einvoicing/send-again", {})
    assert again.status_code == 200 and again.json()["state"] == "waiting"
    twice = post(validator, f"/api/invoices/{invoice.number}/einvoicing/send-again", {})
    assert twice.status_code == 409

    martin = f.client(code="MARTIN")
    martin.siren = "409876547"
    martin.save()
    assert post(caller("accountant"), "/api/clients/MARTIN/directory", {}).status_code == 403
    found = post(caller("preparer"), "/api/clients/MARTIN/directory", {})
    assert found.status_code == 200 and found.json() == {"client": "MARTIN", "address": "409876547_40987654700012"}


def test_the_e_reporting_flows(firm, quick_platform, caller):  # noqa: F811
    firm.e_reporting_from = date(2026, 11, 21)
    firm.save()
    services.prepare_reports(today=date(2026, 12, 1))
    accountant = caller("accountant")
    listed = accountant.get("/api/einvoicing/reports").json()
    assert sorted(r["flow"] for r in listed) == ["10.1", "10.2", "10.3", "10.4"]
    report = Report.objects.get(flow="10.3")
    Report.objects.filter(pk=report.pk).update(state="rejected", last_error="test")
    again = post(accountant, f"/api/einvoicing/reports/{report.pk}/again", {})
    assert again.status_code == 201 and again.json()["version"] == 2
    assert post(accountant, f"/api/einvoicing/reports/{report.pk}/again", {}).status_code == 409

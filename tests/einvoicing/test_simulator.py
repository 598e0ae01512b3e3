"""The PA simulator: XP Z12-013 as the connector will meet it — tokens, flows checked with the FNFE-MPE rules,
life-cycle statuses as CDAR flows, tracking id idempotency, payments received, the directory, the test knobs."""

from __future__ import annotations

import copy
import hashlib
import json
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import facturx
import jsonschema
import pytest
import requests
from lxml import etree
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from prebill.einvoicing import cdar, flowapi, validation
from prebill.einvoicing.lifecycle import Role
from prebill.einvoicing.simulator import DirectoryEntry, start_simulator
from tests.einvoicing.pa_client import CLIENT_ID, CLIENT_SECRET, REFERENCE, Api

pytestmark = pytest.mark.django_db  # the documents fixture renders invoices: the test database must exist
NS = validation.CII_NS | validation.UBL_NS
SELLER_SIREN = "732829320"  # tests.factories.organisation()
BUYER_ADDRESS = {"CII": "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty/"
                        "ram:URIUniversalCommunication",  # BT-49
                 "UBL": "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID"}


# ------------------------------------------------------------------------------------------------ helpers


def edited(xml: bytes, *, number: str | None = None, drop: str | None = None) -> bytes:
    """The CII or UBL invoice with another number (BT-1), or without the elements at path `drop`."""
    root = etree.fromstring(xml)
    if number:
        root.find("rsm:ExchangedDocument/ram:ID" if root.tag == validation.CII_ROOT else "cbc:ID", NS).text = number
    if drop:
        for element in root.findall(drop, NS):
            element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def statuses(api: Api) -> list[tuple[str, int]]:
    """(invoice number, status code) of every life-cycle flow, read from their CDAR originals."""
    found = []
    for flow in api.life_cycle():
        assert (flow["flowSyntax"], flow["acknowledgement"]["status"]) == ("CDAR", "Ok")
        message = cdar.parse_status_message(api.get(flow["flowId"], "Original").content)
        found.append((message.invoice_number, message.status))
    return found


def payment_message(number: str, issue_date: date, amounts: list[tuple[str, str]], *,
                    seller: str = SELLER_SIREN) -> bytes:
    """The CDAR 212 "Encaissée" a seller sends: what it received, per VAT rate."""
    party = cdar.Party(Role.SELLER, siren=seller, name="Cabinet Test", electronic_address=seller)
    return cdar.status_message_xml(cdar.StatusMessage(
        message_id=f"PAY-{number}-{len(amounts)}", issued_at=datetime(2026, 12, 10, 9, 0, tzinfo=UTC), status=212,
        invoice_number=number, invoice_date=issue_date, seller_siren=seller, sender=party, issuer=party,
        recipients=(cdar.Party(Role.BUYER, siren="400000014", electronic_address="400000014"),),
        amounts=tuple(cdar.CollectedAmount(Decimal(amount), Decimal(rate)) for amount, rate in amounts),
        received_on=date(2026, 12, 9)))


def deposited(api: Api, content: bytes, syntax: str = "CII", **info) -> str:
    answer = api.post_flow(content, syntax=syntax, **info)
    assert answer.status_code == 202, answer.text
    return answer.json()["flowId"]


# ------------------------------------------------------------------------------------------------ OAuth2


def test_every_api_call_needs_a_token_from_the_client_credentials(pa):
    flows = f"{pa.flow_url}/v1/flows/search"

    missing = requests.post(flows, json={"where": {"flowDirection": ["In"]}}, timeout=5)
    wrong = requests.post(flows, json={"where": {"flowDirection": ["In"]}}, timeout=5,
                          headers={"Authorization": "Bearer not-a-token"})
    bad_secret = requests.post(pa.token_url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                   "client_secret": "guess"}, timeout=5)
    bad_grant = requests.post(pa.token_url, data={"grant_type": "password", "username": CLIENT_ID}, timeout=5)
    basic = requests.post(pa.token_url, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET),
                          timeout=5)
    health = requests.get(f"{pa.flow_url}/v1/healthcheck", timeout=5)

    assert (missing.status_code, missing.json()["errorCode"]) == (401, "MISSING_TOKEN")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert (wrong.status_code, wrong.json()["errorCode"]) == (401, "INVALID_TOKEN")
    assert (bad_secret.status_code, bad_secret.json()) == (401, {"error": "invalid_client"})
    assert (bad_grant.status_code, bad_grant.json()) == (400, {"error": "unsupported_grant_type"})
    assert basic.status_code == 200 and basic.json()["token_type"] == "Bearer" and basic.json()["expires_in"] == 3600
    assert requests.post(flows, json={"where": {"flowDirection": ["In"]}}, timeout=5, headers={
        "Authorization": f"Bearer {basic.json()['access_token']}"}).status_code == 200
    assert health.status_code == 200  # the OpenAPI gives the health check no 401


def test_an_expired_token_is_refused_until_a_new_one_is_asked(pa, api):
    assert api.search({"flowDirection": ["Out"]}).status_code == 200

    pa.expire_tokens()
    refused = api.search({"flowDirection": ["Out"]})
    api.token = api.new_token()

    assert (refused.status_code, refused.json()["errorCode"]) == (401, "INVALID_TOKEN")
    assert api.search({"flowDirection": ["Out"]}).status_code == 200


def test_a_token_expires_after_its_lifetime(rules):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, token_lifetime=0.3) as pa:
        api = Api(pa)
        time.sleep(0.4)

        late = api.search({"flowDirection": ["Out"]})

    assert (late.status_code, late.json()) == (401, {"errorCode": "INVALID_TOKEN", "errorMessage": "expired token"})


# ------------------------------------------------------------------------------------------------ invoices


def test_a_valid_factur_x_invoice_is_deposited_then_made_available(pa, api, documents):
    # The product's own Factur-X of an invoice to a French company goes to the platform.
    answer = api.post_flow(documents["pdf"], syntax="Factur-X", name=f"{documents['number']}.pdf",
                           trackingId=f"inv-{documents['number']}")
    flow_id = answer.json()["flowId"]

    # The platform answers at once with the flow's identity (FullFlowInfo) ...
    assert answer.status_code == 202
    assert answer.json() | {"flowId": "", "submittedAt": ""} == {
        "flowId": "", "submittedAt": "", "name": f"{documents['number']}.pdf", "trackingId": f"inv-{documents['number']}",
        "flowSyntax": "Factur-X", "flowProfile": "CIUS", "processingRule": "B2B",
        "sha256": hashlib.sha256(documents["pdf"]).hexdigest()}
    # ... has checked it: acknowledged Ok, no fatal failure; it keeps the PDF and the XML it embeds ...
    flow = api.flow(flow_id)
    assert (flow["flowType"], flow["flowDirection"], flow["acknowledgement"]["status"]) == ("CustomerInvoice", "Out", "Ok")
    assert all(detail["level"] == "Warning" for detail in flow["acknowledgement"].get("details", []))
    assert api.get(flow_id, "Original").content == documents["pdf"]
    assert api.get(flow_id, "Converted").content == facturx.get_xml_from_pdf(documents["pdf"], check_xsd=False)[1]
    # ... and says "Déposée"; the next statuses wait for time to pass.
    assert statuses(api) == [(documents["number"], 200)]

    pa.advance()

    assert statuses(api) == [(documents["number"], 200), (documents["number"], 202), (documents["number"], 203)]
    assert [s["label"] for s in pa.invoice(flow_id)["statuses"]] == ["Déposée", "Reçue par la plateforme",
                                                                      "Mise à disposition"]


def test_statuses_move_on_as_time_passes(rules, documents):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=0.2, validate=False) as pa:
        flow_id = deposited(Api(pa), documents["cii"])

        deadline = time.monotonic() + 10
        while pa.invoice(flow_id)["status"] != 203 and time.monotonic() < deadline:
            time.sleep(0.05)

        assert [s["code"] for s in pa.invoice(flow_id)["statuses"]] == [200, 202, 203]


def test_cii_and_ubl_invoices_are_checked_with_their_own_rule_files(pa, api, documents):
    cii = api.flow(deposited(api, documents["cii"], "CII"))
    ubl = api.flow(deposited(api, edited(documents["ubl"], number="F2026-900002"), "UBL", name="F2026-900002.xml"))

    assert [(f["acknowledgement"]["status"], f["flowProfile"], f["flowType"]) for f in (cii, ubl)] == [
        ("Ok", "CIUS", "CustomerInvoice")] * 2
    assert statuses(api) == [(documents["number"], 200), ("F2026-900002", 200)]


@pytest.mark.parametrize("syntax", ["CII", "UBL"])
def test_a_document_failing_a_fatal_rule_is_rejected_with_the_rules_it_failed(pa, api, documents, syntax):
    content = edited(documents[syntax.lower()], drop=BUYER_ADDRESS[syntax])

    flow = api.flow(deposited(api, content, syntax))

    assert flow["acknowledgement"]["status"] == "Error"
    # No BT-49 at all (BR-FR-12), so not the SIREN-based one a B2B invoice needs (BR-FR-21).
    assert {d["item"] for d in flow["acknowledgement"]["details"] if d["level"] == "Error"} == {"BR-FR-12", "BR-FR-21"}
    [rejected] = api.life_cycle()
    message = cdar.parse_status_message(api.get(rejected["flowId"], "Original").content)
    assert (message.status, message.invoice_number, message.seller_siren) == (213, documents["number"], SELLER_SIREN)
    assert sorted((r.code, r.text.split(":")[0]) for r in message.reasons) == [("REJ_SEMAN", "BR-FR-12"),
                                                                             ("REJ_SEMAN", "BR-FR-21")]
    assert pa.invoice(flow["flowId"])["statusLabel"] == "Rejetée"


def test_the_platform_reports_exactly_what_the_rule_files_find_on_todays_documents(pa, api, documents):
    # An invoice to a Belgian company without SIREN, as the product renders it (B2BINT, BT-49 its e-mail address).
    for syntax, content in (("CII", documents["foreign_cii"]), ("UBL", documents["foreign_ubl"])):
        expected = validation.check_invoice(content, syntax)

        flow = api.flow(deposited(api, content, syntax, trackingId=f"foreign-{syntax}"))

        assert flow["acknowledgement"]["status"] == ("Error" if expected.fatal else "Ok")
        assert {d["item"] for d in flow["acknowledgement"].get("details", []) if d["level"] == "Error"} == {
            f.rule for f in expected.fatal}
        assert pa.invoice(flow["flowId"])["status"] == (213 if expected.fatal else 200)


def test_the_french_rules_in_pass_through_mode_only_warn(rules, documents):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, french_rules="warning") as pa:
        api = Api(pa)

        flow = api.flow(deposited(api, edited(documents["cii"], drop=BUYER_ADDRESS["CII"])))

    assert flow["acknowledgement"]["status"] == "Ok"
    assert {(d["level"], d["item"]) for d in flow["acknowledgement"]["details"]} >= {("Warning", "BR-FR-12")}


def test_a_file_that_is_no_invoice_in_its_syntax_is_refused(pa, api, documents):
    garbage = api.flow(deposited(api, b"not xml at all", "CII"))
    pdf_as_cii = api.flow(deposited(api, documents["pdf"], "CII"))
    xml_as_factur_x = api.flow(deposited(api, documents["cii"], "Factur-X"))
    empty = api.flow(deposited(api, b"", "UBL"))
    broken = edited(documents["cii"], number="F2026-SCHEMA").replace(b"<ram:TypeCode>380</ram:TypeCode>",
                                                                       b"<ram:TypeCode>380</ram:TypeCode><ram:Oops/>")
    schema = api.flow(deposited(api, broken, "CII"))

    assert [(f["acknowledgement"]["status"], f["acknowledgement"]["details"][0]["reasonCode"], f["flowType"])
            for f in (garbage, pdf_as_cii, xml_as_factur_x, empty)] == [
        ("Error", "InvalidSchema", "Undefined"), ("Error", "FlowTypeError", "Undefined"),
        ("Error", "FlowTypeError", "Undefined"), ("Error", "EmptyFlow", "Undefined")]
    assert schema["acknowledgement"]["details"][0]["reasonCode"] == "InvalidSchema"
    # Only the file whose number could be read gets a status: 501 "Irrecevable", syntax error.
    [inadmissible] = api.life_cycle()
    message = cdar.parse_status_message(api.get(inadmissible["flowId"], "Original").content)
    assert (message.invoice_number, message.status, message.reasons[0].code) == ("F2026-SCHEMA", 501, "IRR_SYNTAX")


def test_a_wrong_checksum_is_an_error_of_the_flow(pa, api, documents):
    flow = api.flow(deposited(api, documents["cii"], "CII", sha256="0" * 64))

    assert flow["acknowledgement"] == {"status": "Error", "details": [
        {"level": "Error", "item": "sha256", "reasonCode": "ChecksumMismatch",
         "reasonMessage": f"sha256 given {'0' * 64}, file's {hashlib.sha256(documents['cii']).hexdigest()}"}]}
    assert api.life_cycle() == []


def test_a_malformed_request_is_a_400_naming_the_field(pa, api, documents):
    missing_name = api.post_flow(documents["cii"], syntax="CII", name="")
    bad_syntax = api.post_flow(documents["cii"], syntax="PDF")
    bad_rule = api.post_flow(documents["cii"], syntax="CII", processingRule="B2X")
    long_tracking = api.post_flow(documents["cii"], syntax="CII", trackingId="x" * 65)
    not_multipart = api.session.post(f"{pa.flow_url}/v1/flows", json={"name": "x"}, headers=api.headers(), timeout=5)

    assert [(a.status_code, a.json()["errorCode"]) for a in (missing_name, bad_syntax, bad_rule, long_tracking,
                                                              not_multipart)] == [
        (400, "INVALID_FIELD_VALUE"), (400, "INVALID_FIELD_VALUE"), (400, "INVALID_FIELD_VALUE"),
        (400, "INVALID_FIELD_VALUE"), (400, "INVALID_REQUEST_FORMAT")]
    assert "flowInfo.flowSyntax" in bad_syntax.json()["errorMessage"]
    assert pa.flows() == []


def test_a_file_too_large_is_refused(rules):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, max_file_size=1000) as pa:
        answer = Api(pa).post_flow(b"<a/>" * 300, syntax="CII")

        assert (answer.status_code, answer.json()["errorCode"]) == (413, "FILE_SIZE_EXCEEDED")
        assert pa.flows() == []


# ------------------------------------------------------------------------------------------------ idempotency


def test_the_same_tracking_id_sent_again_gives_the_first_flow(pa, api, documents):
    first = api.post_flow(documents["cii"], syntax="CII", trackingId="F2026-000001-v1")
    again = api.post_flow(documents["cii"], syntax="CII", trackingId="F2026-000001-v1")
    other_content = api.post_flow(edited(documents["cii"], number="F2026-999999"), syntax="CII",
                                  trackingId="F2026-000001-v1")

    assert first.status_code == again.status_code == other_content.status_code == 202
    assert first.json() == again.json() == other_content.json()
    assert len(api.search({"trackingId": "F2026-000001-v1"}).json()["results"]) == 1
    assert len(pa.invoices()) == 1 and statuses(api) == [(documents["number"], 200)]


def test_a_lost_answer_then_a_retry_creates_no_second_flow(pa, api, documents):
    pa.fail_next(1, 503, after=True, method="POST", path="/flow-service/v1/flows")

    lost = api.post_flow(documents["cii"], syntax="CII", trackingId="retry-1")
    retried = api.post_flow(documents["cii"], syntax="CII", trackingId="retry-1")

    assert (lost.status_code, lost.json()["errorCode"], lost.headers["Retry-After"]) == (503, "RESOURCE_ERROR", "1")
    assert retried.status_code == 202
    assert [f["flowId"] for f in api.search({"flowType": ["CustomerInvoice"]}).json()["results"]] == [
        retried.json()["flowId"]]


def test_concurrent_sends_of_one_tracking_id_make_one_flow(pa, documents):
    apis = [Api(pa) for _ in range(4)]
    answers = []

    threads = [threading.Thread(target=lambda a=a: answers.append(a.post_flow(documents["cii"], syntax="CII",
                                                                              trackingId="same")))
               for a in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {a.status_code for a in answers} == {202} and len({a.json()["flowId"] for a in answers}) == 1
    assert len(pa.invoices()) == 1


def test_one_number_sent_twice_under_two_tracking_ids_is_rejected_as_not_unique(pa, api, documents):
    deposited(api, documents["cii"], trackingId="one")
    second = api.flow(deposited(api, documents["cii"], trackingId="two"))

    assert second["acknowledgement"]["details"][0]["reasonCode"] == "AlreadyExistingFlow"
    rejected = cdar.parse_status_message(api.get(api.life_cycle()[-1]["flowId"], "Original").content)
    assert (rejected.status, [r.code for r in rejected.reasons]) == (213, ["REJ_UNI"])


# ------------------------------------------------------------------------------------------------ knobs


def test_the_next_requests_can_be_made_to_fail(pa, api):
    pa.fail_next(2, 500)

    answers = [api.search({"flowDirection": ["In"]}) for _ in range(3)]

    assert [a.status_code for a in answers] == [500, 500, 200]
    assert answers[0].json() == {"errorCode": "INTERNAL_ERROR", "errorMessage": "failure asked of the simulator"}


def test_failures_can_aim_at_one_path_only(pa, api):
    pa.fail_next(1, 503, path="/directory-service/")

    flows = api.search({"flowDirection": ["In"]})
    directory = api.directory("GET", "/v1/siren/code-insee:552100554")

    assert (flows.status_code, directory.status_code) == (200, 503)


def test_slow_answers_make_a_client_time_out_yet_the_flow_is_kept(pa, api, documents):
    pa.slow_down(1.5, count=1, path="/flow-service/v1/flows")

    with pytest.raises(requests.Timeout):
        api.post_flow(documents["cii"], syntax="CII", trackingId="slow-1", timeout=0.3)
    retried = api.post_flow(documents["cii"], syntax="CII", trackingId="slow-1")

    assert retried.status_code == 202
    assert len(api.search({"flowType": ["CustomerInvoice"]}).json()["results"]) == 1


def test_the_next_invoice_can_be_rejected_with_a_given_reason(pa, api, documents):
    pa.reject_next("DOUBLON", "facture déjà reçue par un autre canal")

    flow = api.flow(deposited(api, documents["cii"]))
    again = api.flow(deposited(api, edited(documents["cii"], number="F2026-000777")))

    assert flow["acknowledgement"]["details"] == [{"level": "Error", "item": "invoice", "reasonCode": "DOUBLON",
                                                   "reasonMessage": "facture déjà reçue par un autre canal"}]
    assert again["acknowledgement"]["status"] == "Ok"  # the knob was for the next invoice only
    assert statuses(api) == [(documents["number"], 213), ("F2026-000777", 200)]
    with pytest.raises(ValueError, match="not allowed with status 213"):
        pa.reject_next("TX_TVA_ERR")


def test_the_knobs_answer_over_http_on_loopback(pa, api, documents):
    control = f"{pa.base_url}/_control"

    assert requests.post(f"{control}/fail", json={"count": 1, "status": 503}, timeout=5).json() == {"done": True}
    assert api.search({"flowDirection": ["In"]}).status_code == 503
    requests.post(f"{control}/reject", json={"reasonCode": "REJ_COH", "reason": "incohérence"}, timeout=5)
    flow_id = deposited(api, documents["cii"])
    requests.post(f"{control}/slow", json={"seconds": "3", "count": 1}, timeout=5)
    with pytest.raises(requests.Timeout):  # answered 3 s late: later than the caller waits
        requests.post(f"{pa.flow_url}/v1/flows/search", json={"where": {"flowDirection": ["In"]}}, timeout=0.5,
                      headers=api.headers())
    assert api.search({"flowDirection": ["In"]}).status_code == 200  # the knob was for one answer
    invoice = requests.get(f"{control}/invoices/{flow_id}", timeout=5).json()
    assert (invoice["status"], invoice["statuses"][0]["reasons"]) == (213, [{"code": "REJ_COH", "text": "incohérence"}])
    assert requests.get(f"{control}/invoices/unknown", timeout=5).status_code == 404
    assert requests.post(f"{control}/status", json={"flowId": flow_id, "code": 205}, timeout=5).status_code == 400
    requests.post(f"{control}/expire-tokens", timeout=5)
    assert api.search({"flowDirection": ["In"]}).status_code == 401


def test_advance_moves_one_invoice_or_all_a_step_at_a_time(pa, api, documents):
    first = deposited(api, documents["cii"])
    second = deposited(api, edited(documents["cii"], number="F2026-900002"))

    pa.advance(first, steps=1)
    assert [pa.invoice(i)["status"] for i in (first, second)] == [202, 200]
    answer = requests.post(f"{pa.base_url}/_control/advance", json={}, timeout=5).json()

    assert [(e["code"], e["label"]) for e in answer] == [(203, "Mise à disposition"), (202, "Reçue par la plateforme"),
                                                          (203, "Mise à disposition")]
    assert [pa.invoice(i)["status"] for i in (first, second)] == [203, 203]


def test_the_buyer_refuses_an_invoice_with_its_reason(pa, api, documents):
    flow_id = deposited(api, documents["cii"])

    event = pa.emit_status(flow_id, 210, reason_code="TX_TVA_ERR", reason="Taux de TVA erroné",
                           requested_action="CNF")

    assert (event.code, event.by) == (210, "BY")
    refused = cdar.parse_status_message(api.get(event.flow_id, "Original").content)
    assert (refused.status, refused.issuer.role, refused.reasons) == (
        210, "BY", (cdar.Reason("TX_TVA_ERR", "Taux de TVA erroné", "CNF"),))
    # The buyer acted on an invoice made available: the platform's steps came first; after a refusal, nothing.
    assert [code for _number, code in statuses(api)] == [200, 202, 203, 210]
    with pytest.raises(ValueError, match="needs a reason code"):
        pa.emit_status(flow_id, 207)
    with pytest.raises(ValueError, match="no status can follow"):
        pa.emit_status(flow_id, 205)


# ------------------------------------------------------------------------------------------------ payments


def test_the_seller_declares_payments_received_per_vat_rate(pa, api, documents):
    flow_id = deposited(api, documents["cii"])
    pa.advance()
    half = (documents["total"] / 2).quantize(Decimal("0.01"))

    first = api.flow(deposited(api, payment_message(documents["number"], date(2026, 11, 30), [(str(half), "20")]),
                               "CDAR", name="pay-1.xml"))
    second = api.flow(deposited(api, payment_message(documents["number"], date(2026, 11, 30),
                                                     [(str(documents["total"] - half), "20.00")]), "CDAR",
                                name="pay-2.xml"))

    assert [(f["flowType"], f["flowDirection"], f["acknowledgement"]["status"]) for f in (first, second)] == [
        ("CustomerInvoiceLC", "Out", "Ok")] * 2
    invoice = pa.invoice(flow_id)
    assert (invoice["status"], invoice["statusLabel"], invoice["received"]) == (212, "Encaissée", "1200.00")
    assert [(p["amount"], p["vatRate"], p["receivedOn"]) for p in invoice["payments"]] == [
        ("600.00", "20.00", "2026-12-09"), ("600.00", "20.00", "2026-12-09")]


def test_a_payment_status_the_platform_cannot_record_is_an_error_of_its_flow(pa, api, documents):
    deposited(api, documents["cii"])
    number, day = documents["number"], date(2026, 11, 30)
    no_amount = cdar.status_message_xml(replace(cdar.parse_status_message(
        payment_message(number, day, [("1.00", "20")])), amounts=()))

    answers = [api.flow(deposited(api, content, "CDAR", name=f"lc-{i}.xml")) for i, content in enumerate((
        payment_message(number, day, [("100.00", "5.5")]),  # a rate the invoice does not have
        payment_message(number, day, [("1300.00", "20")]),  # more than the invoice
        payment_message("F2026-424242", day, [("10.00", "20")]),  # an invoice never received
        no_amount,  # BR-FR-CDV-14: a 212 carries amounts
        b"<not-cdar/>"))]

    assert [(a["acknowledgement"]["details"][0]["reasonCode"], a["acknowledgement"]["details"][0]["item"])
            for a in answers] == [
        ("InvoiceLCAmountError", "amount"), ("InvoiceLCAmountError", "amount"), ("InvoiceLCInvalidStatus", "invoice"),
        ("InvoiceLCRuleError", "BR-FR-CDV-14"), ("InvoiceLCRuleError", "file")]
    assert pa.invoices()[0]["payments"] == []


def test_a_corrected_payment_is_a_negative_amount(pa, api, documents):
    flow_id = deposited(api, documents["cii"])
    number, day = documents["number"], date(2026, 11, 30)

    deposited(api, payment_message(number, day, [("1200.00", "20")]), "CDAR", name="pay.xml")
    deposited(api, payment_message(number, day, [("-200.00", "20")]), "CDAR", name="correction.xml")

    assert pa.invoice(flow_id)["received"] == "1000.00"


# ------------------------------------------------------------------------------------------------ search


def test_search_pages_with_a_cursor_and_sees_each_flow_once(rules, documents):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, validate=False) as pa:
        api = Api(pa)
        sent = [deposited(api, edited(documents["cii"], number=f"F2026-10000{i}"), trackingId=f"t{i}")
                for i in range(5)]
        pages, cursor = [], None

        while True:
            answer = api.search({"flowType": ["CustomerInvoice"]}, limit=2, **({"cursor": cursor} if cursor else {}))
            pages.append([f["flowId"] for f in answer.json()["results"]])
            cursor = answer.json().get("nextCursor")
            if cursor is None:
                break
        last_seen = api.life_cycle()[-1]["updatedAt"]
        pa.advance(sent[0])
        followed = api.search({"flowDirection": ["In"], "updatedAfter": last_seen}).json()

    assert pages == [sent[:2], sent[2:4], sent[4:]]
    assert [f["name"] for f in followed["results"]] == ["F2026-100000-202.xml", "F2026-100000-203.xml"]


def test_search_criteria_are_checked(pa, api, documents):
    deposited(api, documents["cii"], trackingId="criteria")

    assert api.search({"ackStatus": "Ok", "flowType": ["CustomerInvoice", "SupplierInvoice"]}).json()["results"][0][
        "trackingId"] == "criteria"
    assert api.search({"ackStatus": "Error"}).json()["results"] == []
    assert api.search({"processingRule": ["B2C"]}).json()["results"] == []
    assert [(a.status_code, a.json()["errorCode"]) for a in (
        api.search({}), api.search({"flowType": ["Invoice"]}), api.search({"flowDirection": ["In"]}, limit=101),
        api.search({"flowDirection": ["In"]}, cursor="not-a-cursor"),
        api.search({"updatedAfter": "yesterday"}))] == [
        (400, "MISSING_REQUIRED_FIELD"), (400, "INVALID_FIELD_VALUE"), (400, "INVALID_FIELD_VALUE"),
        (400, "INVALID_FIELD_VALUE"), (400, "INVALID_FIELD_VALUE")]


def test_flows_of_other_organisations_and_clients_are_not_seen(rules, documents):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET, "other": "other-secret"}, step_delay=None,
                         validate=False) as pa:
        api = Api(pa)
        flow_id = api.session.post(f"{pa.flow_url}/v1/flows", headers=api.headers(**{"Organization-Id": "firm-A"}),
                                   files={"flowInfo": (None, json.dumps({"name": "a", "flowSyntax": "CII"})),
                                          "file": ("a.xml", documents["cii"], "application/xml")},
                                   timeout=5).json()["flowId"]
        other = requests.post(pa.token_url, data={"grant_type": "client_credentials", "client_id": "other",
                                                  "client_secret": "other-secret"}, timeout=5).json()["access_token"]

        as_firm_b = api.session.get(f"{pa.flow_url}/v1/flows/{flow_id}", timeout=5,
                                    headers=api.headers(**{"Organization-Id": "firm-B"}))
        as_other = requests.get(f"{pa.flow_url}/v1/flows/{flow_id}", headers={"Authorization": f"Bearer {other}"},
                                timeout=5)

        assert (as_firm_b.status_code, as_other.status_code, api.get(flow_id).status_code) == (404, 404, 200)


def test_a_flow_download_names_its_file_and_refuses_unknown_documents(pa, api, documents):
    flow_id = deposited(api, documents["cii"], name="F2026-000001.xml")

    original = api.get(flow_id, "Original")

    assert (original.content, original.headers["Content-Type"]) == (documents["cii"], "application/xml")
    assert original.headers["Content-Disposition"] == 'attachment;filename="F2026-000001.xml"'
    assert [(api.get(flow_id, doc).status_code) for doc in ("Converted", "ReadableView", "Nonsense")] == [404, 404, 400]
    assert api.get("no-such-flow").json() == {"errorCode": "MISSING_RESOURCE", "errorMessage": "no flow no-such-flow"}


# ------------------------------------------------------------------------------------------------ webhooks


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.calls.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_webhook_is_called_back_with_each_new_status_signed(pa, api, documents):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), type("Receiver", (_Receiver,), {"calls": []}))
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/prebill/pa-events"
    try:
        created = api.session.post(f"{pa.flow_url}/v1/webhooks", headers=api.headers(), timeout=5, json={
            "callbackUrl": url, "flowTypes": ["CustomerInvoiceLC"], "flowDirection": "In"})
        flow_id = deposited(api, documents["cii"])
        pa.advance()
        deadline = time.monotonic() + 10
        while len(receiver.RequestHandlerClass.calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        listed = api.session.get(f"{pa.flow_url}/v1/webhooks", headers=api.headers(), timeout=5).json()
        deleted = api.session.delete(f"{pa.flow_url}/v1/webhooks/{created.json()['webhookId']}", headers=api.headers(),
                                     timeout=5)
        again = api.session.delete(f"{pa.flow_url}/v1/webhooks/{created.json()['webhookId']}", headers=api.headers(),
                                   timeout=5)
    finally:
        receiver.shutdown()
        receiver.server_close()

    assert created.status_code == 201 and set(created.json()) == {"webhookId", "signingKey", "createdAt"}
    calls = receiver.RequestHandlerClass.calls
    assert [json.loads(body)["name"] for _headers, body in calls] == [
        f"{documents['number']}-{code}.xml" for code in (200, 202, 203)]
    for headers, body in calls:
        assert headers["Afnor-Signature"] == flowapi.webhook_signature(
            body, int(headers["Afnor-Signature-Timestamp"]), created.json()["signingKey"])
    assert pa.invoice(flow_id)["status"] == 203
    assert (listed["count"], listed["webhooks"][0]["callbackUrl"]) == (1, url)
    assert (deleted.status_code, again.status_code) == (204, 404)


def test_a_webhook_needs_an_http_callback(pa, api):
    answer = api.session.post(f"{pa.flow_url}/v1/webhooks", json={"callbackUrl": "ftp://x"}, headers=api.headers(),
                              timeout=5)

    assert (answer.status_code, answer.json()["errorCode"]) == (400, "INVALID_FIELD_VALUE")


# ------------------------------------------------------------------------------------------------ directory


def test_the_directory_gives_a_companys_electronic_address(pa, api):
    company = api.directory("GET", "/v1/siren/code-insee:552100554")
    only_name = api.directory("GET", "/v1/siren/code-insee:552100554", params={"fields": "siren,businessName"})
    lines = api.directory("POST", "/v1/directory-line/search", json={
        "filters": {"siren": {"op": "strict", "value": "409876547"}}, "include": ["siren", "siret"]})
    line = api.directory("GET", "/v1/directory-line/code:409876547_40987654700012")
    facility = api.directory("GET", "/v1/siret/code-insee:40987654700012")

    assert company.json() == {"siren": "552100554", "businessName": "Boulangeries Réunies SA",
                              "entityType": "PrivateVatRegistered", "administrativeStatus": "A",
                              "instructions": {"isSalesProspectingForbidden": False}}
    assert only_name.json() == {"siren": "552100554", "businessName": "Boulangeries Réunies SA"}
    [found] = lines.json()["results"]
    assert (found["addressingIdentifier"], found["siret"], found["directoryLineStatus"], found["platformType"]) == (
        "409876547_40987654700012", "40987654700012", "Enabled", "WK")
    assert (found["legalUnit"]["businessName"], found["facility"]["siret"]) == ("Transports Martin SARL",
                                                                                "40987654700012")
    assert lines.json()["totalNumberOfResults"] == 1
    assert line.json()["siren"] == "409876547" and facility.json()["name"] == "Transports Martin SARL"


def test_an_unknown_company_is_404_and_a_malformed_siren_400(pa, api):
    unknown = api.directory("GET", "/v1/siren/code-insee:999999999")
    malformed = api.directory("GET", "/v1/siren/code-insee:12345")
    no_line = api.directory("POST", "/v1/directory-line/search", json={"filters": {"siren": {"value": "999999999"}}})
    disabled = api.directory("POST", "/v1/directory-line/search", json={"filters": {"siren": {"value": "423456789"}}})

    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "MISSING_RESOURCE")
    assert (malformed.status_code, malformed.json()["errorCode"]) == (400, "INVALID_FIELD_VALUE")
    assert (no_line.status_code, no_line.json()["results"]) == (200, [])
    assert disabled.json()["results"][0]["directoryLineStatus"] == "Disabled"


def test_directory_entries_are_configured_in_python_and_over_http(pa, api):
    pa.add_directory_entry(DirectoryEntry("356000000", "La Poste", addressing_identifier="356000000_ACHATS"))
    requests.post(f"{pa.base_url}/_control/directory", json={"siren": "130025265", "name": "DINUM",
                                                            "entityType": "Public"}, timeout=5)

    searched = api.directory("POST", "/v1/siren/search", json={"filters": {"businessName": {"op": "contains",
                                                                                            "value": "poste"}}})

    assert [u["siren"] for u in searched.json()["results"]] == ["356000000"]
    assert api.directory("GET", "/v1/directory-line/code:356000000_ACHATS").json()["siren"] == "356000000"
    assert api.directory("GET", "/v1/siren/code-insee:130025265").json()["entityType"] == "Public"


# ------------------------------------------------------------------------------------------------ running


def test_a_simulator_started_on_a_folder_keeps_its_flows_across_restarts(rules, documents, tmp_path):
    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, folder=tmp_path / "pa") as pa:
        api = Api(pa)
        flow_id = deposited(api, documents["pdf"], "Factur-X", trackingId="kept")
        deposited(api, payment_message(documents["number"], date(2026, 11, 30), [("200.00", "20")]), "CDAR",
                  name="pay.xml")

    with start_simulator(clients={CLIENT_ID: CLIENT_SECRET}, step_delay=None, folder=tmp_path / "pa") as pa:
        api = Api(pa)
        again = api.post_flow(documents["pdf"], syntax="Factur-X", trackingId="kept")
        pa.advance()

        assert again.json()["flowId"] == flow_id
        assert api.get(flow_id, "Converted").status_code == 200
        assert [s["code"] for s in pa.invoice(flow_id)["statuses"]] == [200, 212, 202, 203]
        assert pa.invoice(flow_id)["payments"][0]["amount"] == "200.00"
        assert len(api.life_cycle()) == 3


def test_the_simulator_runs_as_a_program(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "prebill.einvoicing.simulator", "--port", str(port),
                                "--client-id", "demo", "--client-secret", "demo-secret", "--folder",
                                str(tmp_path / "pa"), "--no-validation", "--step-delay", "-1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base, deadline, up = f"http://127.0.0.1:{port}", time.monotonic() + 30, None
        while time.monotonic() < deadline:
            try:
                up = requests.get(f"{base}/_control/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        token = requests.post(f"{base}/auth-service/firm-1/token", timeout=5, data={
            "grant_type": "client_credentials", "client_id": "demo", "client_secret": "demo-secret"})
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert up.json() == {"status": "up"} and token.status_code == 200


# ------------------------------------------------------------------------------------------------ conformance


def _openapi(name: str) -> dict:
    spec = json.loads((REFERENCE / "afnor-z12-013" / name).read_text(encoding="utf-8"))
    if "ReasonCode" in spec["components"]["schemas"]:
        # The OpenAPI's ReasonCode is oneOf(the enum, any string): an enum value matches both, which oneOf
        # forbids. The intent is "one of these, or another string": anyOf.
        reason = spec["components"]["schemas"]["ReasonCode"]
        reason["anyOf"] = reason.pop("oneOf")
    return spec


def _properties(spec: dict, schema: dict) -> set[str]:
    """Every property a schema (and the schemas it is made of) names."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(spec, part)
    return found


def conforms(spec: dict, schema_name: str, instance: dict) -> None:
    """`instance` is valid against the OpenAPI schema, and has no property the schema does not name."""
    registry = Registry().with_resource("urn:openapi", Resource(contents=copy.deepcopy(spec), specification=DRAFT7))
    schema = {"$ref": f"urn:openapi#/components/schemas/{schema_name}"}
    jsonschema.Draft7Validator(schema, registry=registry).validate(instance)
    assert set(instance) <= _properties(spec, {"$ref": f"#/components/schemas/{schema_name}"}), schema_name


def test_the_answers_follow_the_openapi_schemas(pa, api, documents):
    flows, directory = _openapi("flow-service-1.3.0.json"), _openapi("directory-service-1.3.0.json")
    posted = api.post_flow(edited(documents["cii"], drop=BUYER_ADDRESS["CII"]), syntax="CII", trackingId="conform")
    flow_id = posted.json()["flowId"]
    pa.advance()

    conforms(flows, "FullFlowInfo", posted.json())
    conforms(flows, "Flow", api.flow(flow_id))
    conforms(flows, "SearchFlowContent", api.search({"flowDirection": ["In", "Out"]}, limit=1).json())
    for flow in api.search({"flowDirection": ["In", "Out"]}).json()["results"]:
        conforms(flows, "Flow", flow)
    conforms(flows, "Error", api.get("missing").json())
    conforms(flows, "WebhookIdParam", api.session.post(f"{pa.flow_url}/v1/webhooks", headers=api.headers(), timeout=5,
                                                       json={"callbackUrl": "http://127.0.0.1:9/x"}).json())
    conforms(directory, "legalUnitPayloadHistory", api.directory("GET", "/v1/siren/code-insee:552100554").json())
    conforms(directory, "facilityPayloadHistory", api.directory("GET", "/v1/siret/code-insee:40987654700012").json())
    conforms(directory, "directoryLineSearchPost200Response", api.directory(
        "POST", "/v1/directory-line/search", json={"filters": {"siren": {"op": "strict", "value": "409876547"}},
                                                   "include": ["siren", "siret"]}).json())
    conforms(directory, "directoryLinePayloadLegalUnitFacilityRoutingCode",
             api.directory("GET", "/v1/directory-line/code:552100554").json())
    conforms(directory, "sirenSearchPost200Response", api.directory("POST", "/v1/siren/search", json={}).json())


def test_every_status_message_the_platform_sends_follows_the_cdar_schema_and_rules(pa, api, documents):
    schema = etree.XMLSchema(file=str(REFERENCE / "fnfe-rfe" / "cdar" / "xsd" /
                                      "CrossDomainAcknowledgementAndResponse_100pD22B.xsd"))
    deposited(api, edited(documents["cii"], drop=BUYER_ADDRESS["CII"]))  # 213
    deposited(api, edited(documents["cii"], number="F2026-SCHEMA").replace(b"</rsm:ExchangedDocument>",
                                                                             b"<ram:Oops/></rsm:ExchangedDocument>"))
    refused = deposited(api, edited(documents["cii"], number="F2026-000010"))
    pa.emit_status(refused, 207, reason_code="QTE_ERR", reason="quantité contestée")
    pa.emit_status(refused, 210, reason_code="TX_TVA_ERR", reason="taux")
    messages = [api.get(f["flowId"], "Original").content for f in api.life_cycle()]

    assert [cdar.parse_status_message(m).status for m in messages] == [213, 501, 200, 202, 203, 207, 210]
    for message in [*messages, payment_message(documents["number"], date(2026, 11, 30), [("10.00", "20")])]:
        assert schema.validate(etree.fromstring(message)), schema.error_log
        assert validation.check_status_message(message) == []

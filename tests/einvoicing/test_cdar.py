"""CDAR status messages: built valid against the D22B schema and the BR-FR-CDV rules, read back as built."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from prebill.einvoicing import cdar, validation, xmlsafe
from prebill.einvoicing.lifecycle import Role
from tests.einvoicing.pa_client import REFERENCE

SELLER = cdar.Party(Role.SELLER, siren="732829320", name="Cabinet Test", electronic_address="732829320")
BUYER = cdar.Party(Role.BUYER, siren="552100554", name="Boulangeries Réunies SA", electronic_address="552100554")
PLATFORM = cdar.Party(Role.PLATFORM, name="PA")
AT = datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


def message(code: int, **fields) -> cdar.StatusMessage:
    values = {"message_id": f"LC-{code}", "issued_at": AT, "status": code, "invoice_number": "F2026-000001",
              "invoice_date": date(2026, 11, 30), "seller_siren": "732829320", "sender": PLATFORM, "issuer": PLATFORM,
              "recipients": (SELLER,)} | fields
    return cdar.StatusMessage(**values)


MESSAGES = [
    message(200),
    message(213, reasons=(cdar.Reason("REJ_SEMAN", "BR-FR-12: BT-49"), cdar.Reason("REJ_SEMAN", "BR-CO-15: total"))),
    message(210, issuer=BUYER, reasons=(cdar.Reason("TX_TVA_ERR", "Taux de TVA erroné", "CNF"),)),
    message(212, sender=SELLER, issuer=SELLER, recipients=(BUYER,), received_on=date(2026, 12, 9), amounts=(
        cdar.CollectedAmount(Decimal("500.00"), Decimal("20")), cdar.CollectedAmount(Decimal("52.75"), Decimal("5.5")))),
]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(file=str(REFERENCE / "fnfe-rfe" / "cdar" / "xsd" /
                                    "CrossDomainAcknowledgementAndResponse_100pD22B.xsd"))


@pytest.mark.parametrize("built", MESSAGES, ids=lambda m: str(m.status))
def test_a_status_message_is_valid_and_reads_back_as_built(built, schema, rules):
    xml = cdar.status_message_xml(built)

    assert schema.validate(etree.fromstring(xml)), schema.error_log
    assert validation.check_status_message(xml) == []
    assert cdar.parse_status_message(xml) == built


def test_the_amounts_received_are_decimals_to_the_cent():
    with pytest.raises(TypeError):
        cdar.CollectedAmount(500.0, Decimal("20"))  # a float is refused, not converted

    read = cdar.parse_status_message(cdar.status_message_xml(MESSAGES[3]))

    assert [(a.amount, a.vat_rate, a.currency) for a in read.amounts] == [
        (Decimal("500.00"), Decimal("20.00"), "EUR"), (Decimal("52.75"), Decimal("5.50"), "EUR")]


def test_a_212_without_amounts_fails_br_fr_cdv_14(rules):
    failures = validation.check_status_message(cdar.status_message_xml(message(212, sender=SELLER, issuer=SELLER)))

    assert [(f.rule, f.flag) for f in failures] == [("BR-FR-CDV-14", "fatal")]


def test_what_is_not_a_status_message_is_said_so():
    with pytest.raises(xmlsafe.NotXml):
        cdar.parse_status_message(b"<unclosed>")
    with pytest.raises(cdar.CdarError, match="not a CrossDomainAcknowledgementAndResponse"):
        cdar.parse_status_message(b"<Invoice/>")
    without_code = cdar.status_message_xml(MESSAGES[0]).replace(b"<ram:ProcessConditionCode>200</ram:ProcessConditionCode>",
                                                                b"")
    with pytest.raises(cdar.CdarError, match="ProcessConditionCode is missing"):
        cdar.parse_status_message(without_code)


def test_entities_are_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx">]><a>&x;&x;</a>'

    assert xmlsafe.parse(bomb).text is None

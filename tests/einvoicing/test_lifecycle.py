"""The status table agrees with the reform's list and with the FNFE-MPE rules on status messages."""

import re

import pytest

from prebill.einvoicing import lifecycle
from prebill.einvoicing.validation import CDAR_BR_FR


def _rule_list(name: str) -> set[str]:
    """The tokens of a list variable in the BR-FR-CDV rule file (custom:invoice-status-codes ...)."""
    found = re.search(rf'name="custom:{name}"\s+as="xs:string"\s+select="\'([^\']*)\'"', CDAR_BR_FR.read_text("utf-8"))
    return set(found.group(1).split())


def test_the_fourteen_statuses_of_the_reform_and_the_four_mandatory_ones():
    assert {code: s.label for code, s in lifecycle.STATUSES.items() if code < 300} == {
        200: "Déposée", 201: "Émise par la plateforme", 202: "Reçue par la plateforme", 203: "Mise à disposition",
        204: "Prise en charge", 205: "Approuvée", 206: "Approuvée partiellement", 207: "En litige", 208: "Suspendue",
        209: "Complétée", 210: "Refusée", 211: "Paiement transmis", 212: "Encaissée", 213: "Rejetée"}
    assert lifecycle.MANDATORY == (200, 210, 212, 213)
    assert {code for code, s in lifecycle.STATUSES.items() if s.final} == {210, 212, 213, 501}


def test_every_code_and_reason_is_one_the_status_message_rules_allow():
    assert set(map(str, lifecycle.STATUSES)) <= _rule_list("invoice-status-codes")
    assert set(lifecycle.REASONS) == _rule_list("status-reason-codes")


def test_the_statuses_that_need_a_reason_are_those_of_rule_br_fr_cdv_15():
    assert {code for code, s in lifecycle.STATUSES.items() if s.reason_required} == {206, 207, 208, 210, 213, 501}


@pytest.mark.parametrize(("code", "reason", "problem"), [
    (213, "REJ_SEMAN", None),
    (213, "TX_TVA_ERR", "reason TX_TVA_ERR is not allowed with status 213 Rejetée"),
    (210, None, "status 210 Refusée needs a reason code"),
    (205, None, None),
    (205, "PAS_UN_CODE", "unknown status reason code PAS_UN_CODE"),
])
def test_a_reason_goes_with_the_statuses_that_allow_it(code, reason, problem):
    found = lifecycle.reason_problem(code, reason)

    assert (found is None) if problem is None else found.startswith(problem)


def test_an_unknown_code_is_an_error():
    with pytest.raises(lifecycle.UnknownStatus):
        lifecycle.status(299)

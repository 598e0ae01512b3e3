"""What the law refuses, as pure rules: an unidentified French business client, payment terms beyond L441-10."""

import pytest

from prebill.core.grouping import PaymentTerms
from prebill.core.legal import LegalRefusal, check_buyer_identified, check_payment_terms


def test_a_french_business_client_needs_a_siren_and_the_refusal_names_it():
    with pytest.raises(LegalRefusal) as refused:
        check_buyer_identified(category="B2B", siren="", client="ACME Acme SAS")

    assert "ACME Acme SAS" in str(refused.value) and "SIREN" in str(refused.value)
    assert refused.value.where == "siren"


@pytest.mark.parametrize("category", ["B2BINT", "B2C", "OUTOFSCOPE"])
def test_other_clients_need_no_siren(category):
    check_buyer_identified(category=category, siren="", client="X")
    check_buyer_identified(category="B2B", siren="732829320", client="X")


@pytest.mark.parametrize("terms", [PaymentTerms(0), PaymentTerms(30), PaymentTerms(60), PaymentTerms(30, True),
                                   PaymentTerms(45, True)])
def test_terms_within_the_legal_cap_pass(terms):
    check_payment_terms(terms)


@pytest.mark.parametrize("terms", [PaymentTerms(61), PaymentTerms(90), PaymentTerms(46, True),
                                   PaymentTerms(60, True)])
def test_terms_beyond_the_legal_cap_are_refused_citing_l441_10(terms):
    with pytest.raises(LegalRefusal) as refused:
        check_payment_terms(terms)

    assert "L441-10" in str(refused.value) and str(terms) in str(refused.value)
    assert refused.value.where == "payment_terms_days"


def test_a_sector_agreement_allows_longer_terms_up_to_its_own_maximum():
    check_payment_terms(PaymentTerms(90), agreement="Accord BTP 2009", agreement_days=90)
    check_payment_terms(PaymentTerms(75, True), agreement="Accord BTP 2009", agreement_days=90)

    with pytest.raises(LegalRefusal) as refused:
        check_payment_terms(PaymentTerms(120), agreement="Accord BTP 2009", agreement_days=90)
    assert "Accord BTP 2009" in str(refused.value) and "90" in str(refused.value)


def test_an_agreement_without_its_reference_or_its_days_allows_nothing_more():
    for agreement, days in (("", 90), ("Accord BTP 2009", None)):
        with pytest.raises(LegalRefusal):
            check_payment_terms(PaymentTerms(90), agreement=agreement, agreement_days=days)

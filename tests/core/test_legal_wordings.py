"""The legal wordings the firm dates (its CIBS wordings), the end of the CGI tolerance, and the 45-day cap of
periodic invoices, as pure rules."""

from datetime import date

import pytest

from prebill.core.grouping import PaymentTerms
from prebill.core.legal import (
    CIBS_START,
    EXEMPTION_WORDING,
    LegalRefusal,
    cgi_tolerance_warning,
    check_cibs_wording,
    check_payment_terms_agreement,
    check_periodic_payment_terms,
    exemption_wording,
    is_periodic,
    regimes_citing_the_cgi,
)
from prebill.core.vat import VatRegime

CIBS_EXEMPT = "Exonération de TVA – formation professionnelle continue : art. X du CIBS"
FIRM = [(VatRegime.EXEMPT, date(2027, 6, 1), CIBS_EXEMPT)]


def test_without_firm_wordings_the_built_in_wording_of_the_date_prints():
    assert exemption_wording(VatRegime.EXEMPT, date(2026, 8, 31)) == "Exonération de TVA, art. 261-4-4° a du CGI"
    assert exemption_wording(VatRegime.EXEMPT, CIBS_START) == EXEMPTION_WORDING[VatRegime.EXEMPT][0][1]
    assert "repris au CIBS" in exemption_wording(VatRegime.EXEMPT, CIBS_START)
    assert exemption_wording(VatRegime.STANDARD, CIBS_START, FIRM) == ""


def test_the_firm_wording_prints_from_its_date_only_and_only_for_its_regime():
    assert exemption_wording(VatRegime.EXEMPT, date(2027, 5, 31), FIRM) == EXEMPTION_WORDING[VatRegime.EXEMPT][0][1]
    assert exemption_wording(VatRegime.EXEMPT, date(2027, 6, 1), FIRM) == CIBS_EXEMPT
    assert exemption_wording(VatRegime.EXEMPT, date(2030, 1, 1), FIRM) == CIBS_EXEMPT
    assert exemption_wording(VatRegime.EXPORT, date(2027, 6, 1), FIRM) == EXEMPTION_WORDING[VatRegime.EXPORT][0][1]


def test_the_latest_firm_wording_in_force_wins():
    wordings = [*FIRM, (VatRegime.EXEMPT, date(2028, 3, 1), "corrigée"), ("exempt", date(2029, 1, 1), "plus tard")]

    assert exemption_wording(VatRegime.EXEMPT, date(2028, 2, 28), wordings) == CIBS_EXEMPT
    assert exemption_wording(VatRegime.EXEMPT, date(2028, 3, 1), wordings) == "corrigée"
    assert exemption_wording(VatRegime.EXEMPT, date(2029, 1, 1), wordings) == "plus tard"  # regime as stored text


def test_until_the_end_of_2027_the_cgi_wording_is_tolerated():
    for regime in (VatRegime.EXEMPT, VatRegime.EXPORT, VatRegime.REVERSE_CHARGE):
        check_cibs_wording(regime, date(2027, 12, 31))
    check_cibs_wording(VatRegime.STANDARD, date(2030, 1, 1))


@pytest.mark.parametrize("regime", [VatRegime.EXEMPT, VatRegime.EXPORT, VatRegime.REVERSE_CHARGE])
def test_from_2028_a_wording_citing_only_the_cgi_is_refused_and_says_where_to_fix_it(regime):
    with pytest.raises(LegalRefusal) as refused:
        check_cibs_wording(regime, date(2028, 1, 1))

    assert refused.value.where == "exemption_wording"
    assert "CIBS" in str(refused.value) and "firm's settings" in str(refused.value) and "01/01/2028" in str(refused.value)


def test_from_2028_a_firm_wording_in_force_is_accepted_one_for_later_is_not():
    check_cibs_wording(VatRegime.EXEMPT, date(2028, 1, 1), FIRM)

    with pytest.raises(LegalRefusal):
        check_cibs_wording(VatRegime.EXEMPT, date(2028, 1, 1), [(VatRegime.EXEMPT, date(2028, 2, 1), "CIBS")])


def test_the_warning_starts_on_1_october_2027_for_the_regimes_left_citing_the_cgi():
    assert cgi_tolerance_warning(date(2027, 9, 30)) == []
    assert set(cgi_tolerance_warning(date(2027, 10, 1))) == {VatRegime.EXEMPT, VatRegime.EXPORT,
                                                             VatRegime.REVERSE_CHARGE}
    assert VatRegime.EXEMPT not in cgi_tolerance_warning(date(2027, 10, 1), FIRM)
    # A wording in force only after 1 January 2028 leaves the first invoices of 2028 citing the CGI.
    assert VatRegime.EXEMPT in cgi_tolerance_warning(date(2027, 10, 1), [(VatRegime.EXEMPT, date(2028, 2, 1), "x")])
    assert regimes_citing_the_cgi(date(2028, 1, 1), FIRM) == [VatRegime.REVERSE_CHARGE, VatRegime.EXPORT]


def test_an_invoice_grouping_deliveries_of_several_days_is_periodic():
    assert is_periodic([date(2026, 11, 2), date(2026, 11, 3)])
    assert not is_periodic([date(2026, 11, 30)])
    assert not is_periodic([date(2026, 11, 30), date(2026, 11, 30), None])
    assert not is_periodic([])


@pytest.mark.parametrize(("terms", "issued"), [
    (PaymentTerms(45), date(2026, 11, 30)),
    (PaymentTerms(30), date(2026, 11, 15)),
    (PaymentTerms(30, True), date(2026, 11, 30)),  # due 31/12: 31 days
    (PaymentTerms(15, True), date(2026, 11, 30)),  # due 31/12: 31 days
])
def test_periodic_terms_within_45_days_of_the_invoice_date_pass(terms, issued):
    check_periodic_payment_terms(terms, issued=issued)


@pytest.mark.parametrize(("terms", "issued", "days"), [
    (PaymentTerms(46), date(2026, 11, 30), 46),
    (PaymentTerms(60), date(2026, 11, 30), 60),
    (PaymentTerms(30, True), date(2026, 11, 15), 46),  # due 31/12
    (PaymentTerms(45, True), date(2026, 11, 30), 62),  # due 31/01
])
def test_periodic_terms_beyond_45_days_of_the_invoice_date_are_refused(terms, issued, days):
    with pytest.raises(LegalRefusal) as refused:
        check_periodic_payment_terms(terms, issued=issued)

    assert refused.value.where == "payment_terms_days" and refused.value.params["days"] == days
    assert "45 days" in str(refused.value) and "L441-10" in str(refused.value)


def test_a_sector_agreement_allows_longer_periodic_terms_up_to_its_days():
    check_periodic_payment_terms(PaymentTerms(60), issued=date(2026, 11, 30), agreement="Accord BTP",
                                 agreement_days=60)

    with pytest.raises(LegalRefusal, match="Accord BTP"):
        check_periodic_payment_terms(PaymentTerms(75), issued=date(2026, 11, 30), agreement="Accord BTP",
                                     agreement_days=60)
    with pytest.raises(LegalRefusal, match="L441-10"):  # days without a reference: no agreement
        check_periodic_payment_terms(PaymentTerms(60), issued=date(2026, 11, 30), agreement=" ", agreement_days=90)


def test_an_agreement_needs_both_its_reference_and_its_days():
    check_payment_terms_agreement("", None)
    check_payment_terms_agreement("Accord BTP", 90)

    with pytest.raises(LegalRefusal) as no_days:
        check_payment_terms_agreement("Accord BTP", None)
    with pytest.raises(LegalRefusal) as no_reference:
        check_payment_terms_agreement("  ", 90)

    assert no_days.value.where == "payment_terms_agreement_days" and "Accord BTP" in str(no_days.value)
    assert no_reference.value.where == "payment_terms_agreement" and "90" in str(no_reference.value)

"""The firm's dated legal wordings and its sector agreement: the model, the firm settings page (roles, CSRF, French
errors, what prints when) and the one query that loads the wordings."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone, translation

from prebill.core.legal import EXEMPTION_WORDING
from prebill.core.vat import VatRegime
from prebill.organisation import selectors
from prebill.organisation.models import LegalWording, Organisation

pytestmark = pytest.mark.django_db
CIBS = "Exonération de TVA – formation professionnelle continue : art. X du CIBS"
URL = "/settings/"


@pytest.fixture
def admin_browser(firm, user_with):
    browser = Client()
    browser.force_login(user_with("administrator"))
    return browser


def test_one_wording_per_regime_and_day(firm):
    LegalWording.objects.create(regime="exempt", valid_from=date(2027, 6, 1), text=CIBS)

    with pytest.raises(IntegrityError), transaction.atomic():
        LegalWording.objects.create(regime="exempt", valid_from=date(2027, 6, 1), text="autre")
    LegalWording.objects.create(regime="export", valid_from=date(2027, 6, 1), text="export CIBS")


def test_the_wordings_load_in_one_query(firm, django_assert_num_queries):
    LegalWording.objects.create(regime="exempt", valid_from=date(2027, 6, 1), text=CIBS)
    LegalWording.objects.create(regime="export", valid_from=date(2027, 6, 1), text="export CIBS")

    with django_assert_num_queries(1):
        wordings = selectors.firm_wordings()
    with django_assert_num_queries(1):
        table = selectors.wordings_table(date(2027, 7, 1))

    assert (VatRegime.EXEMPT, date(2027, 6, 1), CIBS) in wordings
    printed = {row.regime: row.text for row in table if row.printed_today}
    assert printed[VatRegime.EXEMPT] == CIBS
    assert printed[VatRegime.REVERSE_CHARGE] == EXEMPTION_WORDING[VatRegime.REVERSE_CHARGE][0][1]


def test_the_page_lists_the_built_in_wordings_with_their_dates(admin_browser):
    with translation.override("fr"):
        page = admin_browser.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    for wordings in EXEMPTION_WORDING.values():
        for _, text in wordings:
            assert text.replace("'", "&#x27;") in page
    assert "01/09/2026" in page and "Réglages du cabinet" in page


@pytest.mark.parametrize("role", ["preparer", "validator", "accountant", "collections"])
def test_only_an_administrator_sees_or_changes_the_firm_settings(firm, user_with, role):
    browser = Client()
    browser.force_login(user_with(role))

    assert browser.get(URL).status_code == 403
    assert browser.post(URL, {"form": "wording", "regime": "exempt", "valid_from": "2027-06-01",
                              "text": CIBS}).status_code == 403
    assert not LegalWording.objects.exists()
    assert Client().get(URL).status_code in (302, 403)  # anonymous


def test_a_wording_is_entered_from_a_date_and_then_printed_from_that_date(admin_browser):
    response = admin_browser.post(URL, {"form": "wording", "regime": "exempt", "valid_from": "2027-06-01",
                                        "text": f"  {CIBS} "})

    assert response.status_code == 302
    wording = LegalWording.objects.get()
    assert (wording.regime, wording.valid_from, wording.text) == ("exempt", date(2027, 6, 1), CIBS)
    # Entered again for the same day: corrected, not doubled.
    admin_browser.post(URL, {"form": "wording", "regime": "exempt", "valid_from": "2027-06-01", "text": "corrigé"})
    assert LegalWording.objects.get().text == "corrigé"


def test_a_wording_without_text_or_regime_is_refused_on_the_form(admin_browser):
    with translation.override("fr"):
        response = admin_browser.post(URL, {"form": "wording", "regime": "standard", "valid_from": "2027-06-01",
                                            "text": ""}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400 and not LegalWording.objects.exists()
    assert "Ce champ est obligatoire" in response.content.decode()


def test_a_firm_wording_is_removed_with_a_post(admin_browser):
    wording = LegalWording.objects.create(regime="exempt", valid_from=date(2027, 6, 1), text=CIBS)

    assert admin_browser.get(f"{URL}wordings/{wording.pk}/delete/").status_code == 405
    assert admin_browser.post(f"{URL}wordings/{wording.pk}/delete/").status_code == 302
    assert not LegalWording.objects.exists()


def test_the_forms_need_the_csrf_token(firm, user_with):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user_with("administrator"))

    response = browser.post(URL, {"form": "wording", "regime": "exempt", "valid_from": "2027-06-01", "text": CIBS})

    assert response.status_code == 403 and not LegalWording.objects.exists()


@pytest.mark.parametrize(("agreement", "days", "field", "french"), [
    ("Accord BTP", "", "payment_terms_agreement_days", "Indiquez"),
    ("", "90", "payment_terms_agreement", "Indiquez"),
])
def test_an_agreement_without_its_days_or_days_without_it_are_refused(admin_browser, agreement, days, field,
                                                                       french):
    with translation.override("fr"):
        response = admin_browser.post(URL, {"form": "agreement", "payment_terms_agreement": agreement,
                                            "payment_terms_agreement_days": days}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert field in response.context["agreement_form"].errors
    assert french in response.content.decode()
    org = Organisation.objects.get()
    assert (org.payment_terms_agreement, org.payment_terms_agreement_days) == ("", None)


def test_an_agreement_with_its_days_is_saved(admin_browser):
    response = admin_browser.post(URL, {"form": "agreement", "payment_terms_agreement": " Accord BTP ",
                                        "payment_terms_agreement_days": "90"})

    assert response.status_code == 302
    org = Organisation.objects.get()
    assert (org.payment_terms_agreement, org.payment_terms_agreement_days) == ("Accord BTP", 90)


def test_the_model_refuses_an_agreement_without_its_days_as_the_admin_does(firm):
    firm.payment_terms_agreement, firm.payment_terms_agreement_days = "Accord BTP", None

    with pytest.raises(ValidationError) as refused:
        firm.full_clean()

    assert "payment_terms_agreement_days" in refused.value.message_dict


def test_the_admin_form_refuses_days_without_an_agreement(firm, user_with):
    browser = Client()
    browser.force_login(type(user_with())._default_manager.create_superuser("root", "r@x.fr", "pw-test-1"))
    fields = {name: getattr(firm, name) for name in ("legal_name", "siren", "country", "hours_per_day",
                                                     "time_rounding_minutes", "training_billing",
                                                     "customer_account", "vat_account", "sales_journal",
                                                     "auto_prepare_day", "auto_prepare_time", "auto_prepare_month",
                                                     "vat_return_regime")}
    fields.update(payment_terms_agreement="", payment_terms_agreement_days="90")

    response = browser.post(f"/admin/organisation/organisation/{firm.pk}/change/", fields)

    assert response.status_code == 200  # shown again with the error, not saved
    assert "payment_terms_agreement" in response.context["adminform"].form.errors
    firm.refresh_from_db()
    assert firm.payment_terms_agreement_days is None


def test_from_october_2027_the_page_warns_the_cgi_wording_ends(admin_browser, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 10, 1))
    LegalWording.objects.create(regime="exempt", valid_from=date(2027, 12, 1), text=CIBS)

    with translation.override("fr"):
        page = admin_browser.get(URL, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "tolérée jusqu" in page and "31/12/2027" in page
    warning = page[page.index('data-test="cgi-warning"'):].split("</p>")[0]
    assert "export" in warning.lower() and "formation" not in warning  # the exempt regime has its wording


def test_before_october_2027_no_warning(admin_browser, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 9, 30))

    assert 'data-test="cgi-warning"' not in admin_browser.get(URL).content.decode()


def test_the_pre_billing_page_warns_too(admin_browser, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2027, 11, 2))

    page = admin_browser.get("/billing/2027-11/").content.decode()

    assert 'data-test="cgi-warning"' in page and URL in page

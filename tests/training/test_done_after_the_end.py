"""A session is marked done, and so invoiced, once it has ended; a funder's share is charged only with its file
number (an OPCO refuses an invoice that does not quote it), whatever the interface (service, page, API, CLI)."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.utils import timezone

from prebill.api.models import ApiToken
from prebill.billing.models import BillableItem, PreInvoice
from prebill.cli.commands import dispatch
from prebill.clients.models import Client
from prebill.training import services
from prebill.training.models import Funding, Learner, TrainingCharge, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(firm):
    return TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                          days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))


def make_session(product, *, end: date, file_number: str = "PEC-0042", agreement: str = "CONV-7",
                 learners: int = 2, reference: str = "S-1") -> TrainingSession:
    session = TrainingSession.objects.create(reference=reference, product=product, start=end - timedelta(days=1),
                                             end=end, place="Lyon")
    opco = Client.objects.filter(code="OPCO").first() or f.client(code="OPCO", training_billing="consolidated")
    alpha = Client.objects.filter(code="ALPHA").first() or f.client(code="ALPHA")
    for n in range(learners):
        Learner.objects.create(session=session, name=f"Apprenant {n}", sponsor=alpha)
    Funding.objects.create(session=session, funder=opco, sponsor=alpha, percent=Decimal("50"),
                           file_number=file_number, agreement_reference=agreement)
    return session


def untouched(session: TrainingSession) -> bool:
    return (TrainingSession.objects.get(pk=session.pk).status == "planned" and not TrainingCharge.objects.exists()
            and not BillableItem.objects.exists() and not PreInvoice.objects.exists())


def test_a_session_ending_after_today_is_refused_with_its_end_date(product):
    session = make_session(product, end=date(2026, 11, 20))

    with pytest.raises(services.SessionRefused) as refused:
        services.mark_done(session_id=session.pk, today=date(2026, 11, 19))

    assert str(refused.value) == ("La session S-1 se termine le 20/11/2026 : elle ne peut être marquée terminée "
                                  "qu'à partir de ce jour.")
    assert untouched(session)
    assert services.mark_done(session_id=session.pk, today=date(2026, 11, 20)) == 2  # on its last day: done


def test_without_a_date_the_firms_today_is_used(product):
    session = make_session(product, end=timezone.localdate() + timedelta(days=1))

    with pytest.raises(services.SessionRefused, match="se termine le"):
        services.mark_done(session_id=session.pk)

    assert untouched(session)


def test_a_funders_share_without_a_file_number_is_not_charged(product):
    session = make_session(product, end=date(2026, 11, 17), file_number="")

    with pytest.raises(services.SessionRefused) as refused:
        services.mark_done(session_id=session.pk)

    alpha, opco = Client.objects.get(code="ALPHA").name, Client.objects.get(code="OPCO").name
    assert str(refused.value) == (
        f"Session S-1 : le financement de {alpha} par {opco} n'a pas de numéro de dossier. Saisissez sur la session "
        "le numéro de dossier (prise en charge) du financeur avant de la facturer.")
    assert untouched(session)


def test_a_funder_invoiced_by_hand_needs_its_file_number_when_it_is_invoiced(product):
    f.client(code="OPCO", training_billing="none")
    session = make_session(product, end=date(2026, 11, 17), file_number="")

    assert services.mark_done(session_id=session.pk) == 1  # the sponsor's remainder only
    with pytest.raises(services.SessionRefused, match="n'a pas de numéro de dossier"):
        services.invoice_by_hand(session_id=session.pk, client_id=Client.objects.get(code="OPCO").pk)
    assert not PreInvoice.objects.filter(client__code="OPCO").exists()


def test_the_references_are_frozen_on_the_charge_and_named_on_the_line(product):
    session = make_session(product, end=date(2026, 11, 17))
    single = make_session(product, end=date(2026, 11, 17), learners=1, reference="S-2", file_number="PEC-0043",
                          agreement="")

    services.mark_done(session_id=session.pk)
    services.mark_done(session_id=single.pk)
    Funding.objects.filter(session=session).update(file_number="CHANGED")  # the charge keeps what it was made with

    funder = TrainingCharge.objects.get(session=session, client__code="OPCO")
    remainder = TrainingCharge.objects.get(session=session, client__code="ALPHA")
    alpha = Client.objects.get(code="ALPHA").name
    assert (funder.file_number, funder.agreement_reference) == ("PEC-0042", "CONV-7")
    assert (remainder.file_number, remainder.agreement_reference) == ("", "CONV-7")  # the sponsor's agreement
    assert funder.billable_item.designation == (f"S-1 — Excel avancé — {alpha} — 2 apprenants — dossier n° PEC-0042 "
                                                "— convention de formation CONV-7")
    assert TrainingCharge.objects.get(session=single, client__code="OPCO").billable_item.designation == (
        f"S-2 — Excel avancé — {alpha} — 1 apprenant — dossier n° PEC-0043")


def test_two_fundings_of_one_funder_for_one_sponsor_quote_both_files(product):
    session = make_session(product, end=date(2026, 11, 17), agreement="")
    Funding.objects.create(session=session, funder=Client.objects.get(code="OPCO"),
                           sponsor=Client.objects.get(code="ALPHA"), amount=Decimal("100.00"), file_number="PEC-0099")

    owed = next(o for o in services.what_is_owed(session) if o.funded)

    assert owed.file_number == "PEC-0042, PEC-0099" and owed.amount == Decimal("700.00")


# --- the interfaces go through the service and show its refusal ----------------------------------------------


def test_the_page_shows_the_refusal_and_the_session_stays_planned(product, user_with):
    session = make_session(product, end=timezone.localdate() + timedelta(days=3))
    browser = Browser()
    browser.force_login(user_with("preparer"))

    page = browser.post(f"/training/sessions/{session.pk}/done/", follow=True)

    assert page.redirect_chain[-1][0] == f"/training/sessions/{session.pk}/"
    assert "elle ne peut être marquée terminée qu&#x27;à partir de ce jour" in page.content.decode()
    assert untouched(session)


def test_the_api_answers_409_with_the_reason(product, user_with):
    session = make_session(product, end=timezone.localdate() + timedelta(days=3))
    _, key = ApiToken.issue(user=user_with("preparer"), name="t")
    api = Browser(headers={"Authorization": f"Bearer {key}"})

    answer = api.post("/api/training/sessions/S-1/done", json.dumps({}), content_type="application/json")

    assert answer.status_code == 409 and "se termine le" in answer.json()["detail"]
    assert untouched(session)


def test_the_command_line_says_why_and_fails(product, capsys):
    session = make_session(product, end=timezone.localdate() + timedelta(days=3))

    code = dispatch(["training", "done", "S-1"])
    _, err = capsys.readouterr()

    assert code == 2 and err.startswith("erreur : La session S-1 se termine le ")
    assert untouched(session)


def test_the_session_page_shows_each_fundings_references_and_the_form_takes_them(product, user_with):
    session = make_session(product, end=date(2026, 11, 17), agreement="")
    browser = Browser(headers={"Accept-Language": "en"})
    browser.force_login(user_with("preparer"))

    detail = browser.get(f"/training/sessions/{session.pk}/").content.decode()
    form = browser.get(f"/training/sessions/{session.pk}/edit/").content.decode()

    assert "file no. PEC-0042" in detail
    assert 'name="fundings-0-file_number"' in form and 'value="PEC-0042"' in form
    assert 'name="fundings-0-agreement_reference"' in form


def test_a_reference_too_long_is_refused_where_it_is(product):
    alpha, opco = f.client(code="ALPHA"), f.client(code="OPCO")

    with pytest.raises(services.EntryRefused, match=r"fundings\[0\]\.agreement_reference"):
        services.save_session(reference="S-9", product=product, start=date(2026, 11, 2), end=date(2026, 11, 3),
                              learners=[services.LearnerEntry("Anne", alpha)],
                              fundings=[services.FundingEntry(opco, alpha, percent=Decimal("50"),
                                                              agreement_reference="C" * 61)])

    assert not TrainingSession.objects.exists()

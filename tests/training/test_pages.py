"""The training entry pages: products, sessions with learners and fundings, invoicing a done session by hand."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client as Browser

from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.training import services
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(user_with):
    """A browser logged in with the given roles, reading English (the French catalogue comes later)."""

    def make(*roles: str) -> Browser:
        browser = Browser(headers={"Accept-Language": "en"})
        browser.force_login(user_with(*roles, username=f"u-{'-'.join(roles) or 'none'}"))
        return browser

    return make


@pytest.fixture
def preparer(as_role):
    return as_role("preparer")


@pytest.fixture
def clients(firm):
    return {code: f.client(code=code) for code in ("ALPHA", "BETA", "OPCO")}


@pytest.fixture
def product(firm):
    return TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                          days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))


def rows(prefix: str, entries: list[dict], *, initial: int = 0) -> dict:
    """A formset as the page posts it: its management fields and one set of fields per row."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(entries)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for n, entry in enumerate(entries):
        data.update({f"{prefix}-{n}-{name}": value for name, value in entry.items()})
    return data


def session_post(product: TrainingProduct, *, learners: list[dict], fundings: list[dict], **fields) -> dict:
    return {"reference": "S-2026-11", "product": str(product.pk), "start": "2026-11-16", "end": "2026-11-17",
            "place": "Lyon", "trainer": "", "discount_percent": "", "save": "1", **fields,
            **rows("learners", learners), **rows("fundings", fundings)}


LEARNERS = [{"name": "Anne Alpha", "sponsor": "ALPHA"}, {"name": "Alain Alpha", "sponsor": "ALPHA"},
            {"name": "Bruno Beta", "sponsor": "BETA"}, {"name": "", "sponsor": ""}]  # a blank row is left out


def test_a_product_is_created_and_edited_through_its_pages(preparer, firm):
    article = f.article("FORM")

    created = preparer.post("/training/products/new/", {
        "reference": "EXCEL-1", "label": "Excel avancé", "hours": "14", "days": "2", "price": "1 200,50",
        "basis": "per_group", "article": str(article.pk), "vat_exempt": "on"})
    product = TrainingProduct.objects.get(reference="EXCEL-1")
    edited = preparer.post(f"/training/products/{product.pk}/edit/", {
        "reference": "IGNORED", "label": "Excel expert", "hours": "21", "days": "3", "price": "900",
        "basis": "per_learner", "article": str(article.pk)})
    listed = preparer.get("/training/products/").content.decode()

    assert created.status_code == 302 and edited.status_code == 302
    product.refresh_from_db()
    assert (product.reference, product.label, product.hours, product.price, product.basis, product.vat_exempt) == (
        "EXCEL-1", "Excel expert", Decimal("21.00"), Decimal("900.00"), "per_learner", False)
    assert TrainingProduct.objects.count() == 1 and "Excel expert" in listed


def test_a_product_missing_its_label_is_refused_where_it_stops(preparer, firm):
    page = preparer.post("/training/products/new/", {
        "reference": "EXCEL-1", "label": "", "hours": "14", "days": "2", "price": "600",
        "basis": "per_learner", "article": str(f.article("FORM").pk)})

    assert page.status_code == 200 and not TrainingProduct.objects.exists()
    assert "Nothing saved. Label: is required" in page.content.decode()


def test_a_session_with_learners_and_fundings_is_entered_then_edited(preparer, clients, product):
    blank = preparer.get("/training/sessions/new/")
    grown = preparer.post("/training/sessions/new/", {**session_post(product, learners=LEARNERS[:1], fundings=[]),
                                                      "add": "learners"})
    added_nothing = not TrainingSession.objects.exists()
    saved = preparer.post("/training/sessions/new/", session_post(
        product, learners=LEARNERS, discount_percent="10",
        fundings=[{"funder": "OPCO", "sponsor": "ALPHA", "percent": "50"},
                  {"funder": "OPCO", "sponsor": "BETA", "amount": "250,00", "per_learner": "on"}]))

    assert blank.content.decode().count('data-test="learner-row"') == 3
    assert grown.content.decode().count('data-test="learner-row"') == 2 and added_nothing
    session = TrainingSession.objects.get(reference="S-2026-11")
    assert saved.status_code == 302 and saved["Location"] == f"/training/sessions/{session.pk}/"
    assert (session.start, session.place, session.discount_percent) == (date(2026, 11, 16), "Lyon", Decimal("10.00"))
    assert sorted(Learner.objects.values_list("name", "sponsor__code")) == [
        ("Alain Alpha", "ALPHA"), ("Anne Alpha", "ALPHA"), ("Bruno Beta", "BETA")]
    assert sorted(Funding.objects.values_list("sponsor__code", "amount", "percent", "per_learner")) == [
        ("ALPHA", None, Decimal("50.00"), False), ("BETA", Decimal("250.00"), None, True)]

    form = preparer.get(f"/training/sessions/{session.pk}/edit/").content.decode()
    edited = preparer.post(f"/training/sessions/{session.pk}/edit/", {
        **session_post(product, learners=[], fundings=[], place="Paris"),
        **rows("learners", [{"name": "Anne Alpha", "sponsor": "ALPHA"}, {"name": "Alain Alpha", "sponsor": "ALPHA"},
                            {"name": "Bruno Beta", "sponsor": "BETA", "DELETE": "on"}], initial=3),
        **rows("fundings", [{"funder": "OPCO", "sponsor": "ALPHA", "percent": "50"},
                            {"funder": "OPCO", "sponsor": "BETA", "amount": "250", "DELETE": "on"}], initial=2)})

    assert 'value="Bruno Beta"' in form and 'value="OPCO"' in form
    assert edited.status_code == 302
    session.refresh_from_db()
    assert session.place == "Paris" and TrainingSession.objects.count() == 1
    assert set(session.learners.values_list("sponsor__code", flat=True)) == {"ALPHA"}
    assert list(session.fundings.values_list("sponsor__code", flat=True)) == ["ALPHA"]


@pytest.mark.parametrize(("funding", "where", "says"), [
    ({"funder": "OPCO", "sponsor": "BETA", "amount": "100", "percent": "50"}, "Funding 2",
     "give either an amount or a percentage"),
    ({"funder": "OPCO", "sponsor": "OPCO", "percent": "50"}, "Funding 2, For the sponsor",
     "must be a sponsor sending learners to this session"),
])
def test_a_bad_funding_is_refused_with_where_and_nothing_is_saved(preparer, clients, product, funding, where, says):
    page = preparer.post("/training/sessions/new/", session_post(
        product, learners=LEARNERS, fundings=[{"funder": "OPCO", "sponsor": "ALPHA", "percent": "50"}, funding]))

    text = page.content.decode()
    assert page.status_code == 200
    assert f"Nothing saved. {where}: {says}" in text  # on top, saying where
    assert f'<div class="error" data-test="error">{says}</div>' in text  # and next to the row
    assert not TrainingSession.objects.exists() and not Learner.objects.exists() and not Funding.objects.exists()


def test_a_bad_funding_on_an_existing_session_changes_nothing(preparer, clients, product):
    session = services.save_session(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                    end=date(2026, 11, 17), learners=[services.LearnerEntry("Anne", clients["ALPHA"])],
                                    fundings=[])

    page = preparer.post(f"/training/sessions/{session.pk}/edit/", session_post(
        product, place="Paris", learners=LEARNERS,
        fundings=[{"funder": "OPCO", "sponsor": "ALPHA", "amount": "100", "percent": "10"}]))

    assert page.status_code == 200 and "give either an amount or a percentage" in page.content.decode()
    session.refresh_from_db()
    assert session.place == "" and list(session.learners.values_list("name", flat=True)) == ["Anne"]
    assert not Funding.objects.exists()


def test_a_typing_error_is_shown_next_to_its_field(preparer, clients, product):
    page = preparer.post("/training/sessions/new/", session_post(
        product, learners=[{"name": "Anne", "sponsor": "NOBODY"}], fundings=[], discount_percent="ten"))

    text = page.content.decode()
    assert page.status_code == 200 and not TrainingSession.objects.exists()
    assert "No client has this code." in text and "Enter a number." in text


def test_a_new_session_never_overwrites_one_with_the_same_reference(preparer, clients, product):
    services.save_session(reference="S-2026-11", product=product, start=date(2026, 11, 16), end=date(2026, 11, 17),
                          learners=[services.LearnerEntry("Anne", clients["ALPHA"])], fundings=[])

    page = preparer.post("/training/sessions/new/", session_post(product, learners=LEARNERS, fundings=[]))

    assert page.status_code == 200 and "A session already has this reference" in page.content.decode()
    assert list(Learner.objects.values_list("name", flat=True)) == ["Anne"]


def test_a_done_session_cannot_be_edited_and_the_page_says_why(preparer, clients, product):
    session = services.save_session(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                    end=date(2026, 11, 17), learners=[services.LearnerEntry("Anne", clients["ALPHA"])],
                                    fundings=[])
    preparer.post(f"/training/sessions/{session.pk}/done/")

    shown = preparer.get(f"/training/sessions/{session.pk}/edit/").content.decode()
    posted = preparer.post(f"/training/sessions/{session.pk}/edit/", session_post(
        product, place="Paris", learners=LEARNERS, fundings=[]))
    detail = preparer.get(f"/training/sessions/{session.pk}/").content.decode()

    assert "Session S-2026-11 is done: it can no longer be changed." in shown
    assert 'data-test="session-form"' not in shown
    assert posted.status_code == 200 and "it can no longer be changed" in posted.content.decode()
    session.refresh_from_db()
    assert session.place == "" and session.learners.count() == 1
    assert 'data-test="edit"' not in detail and 'data-test="invoice-by-hand"' in detail


def test_a_funder_without_automatic_invoicing_is_invoiced_by_hand(preparer, clients, product):
    Client.objects.filter(code="OPCO").update(training_billing="none")
    session = services.save_session(
        reference="S-2026-11", product=product, start=date(2026, 11, 16), end=date(2026, 11, 17),
        learners=[services.LearnerEntry("Anne", clients["ALPHA"]), services.LearnerEntry("Alain", clients["ALPHA"])],
        fundings=[services.FundingEntry(clients["OPCO"], clients["ALPHA"], percent=Decimal("75"),
                                        file_number="DOS-75")])
    preparer.post(f"/training/sessions/{session.pk}/done/")
    opco = Client.objects.get(code="OPCO")

    menu = preparer.get("/invoices/").content.decode()
    page = preparer.get("/training/invoice-by-hand/", {"session": session.pk}).content.decode()
    drafted = preparer.post("/training/invoice-by-hand/draft/", {"session": session.pk, "client": opco.pk})
    again = preparer.post("/training/invoice-by-hand/draft/", {"session": session.pk, "client": opco.pk}, follow=True)

    assert 'href="/training/invoice-by-hand/"' in menu
    assert 'data-test="invoice-OPCO"' in page and "900.00" in page and "no automatic invoicing" in page
    pre = PreInvoice.objects.get(client=opco)
    assert drafted.status_code == 302 and drafted["Location"] == f"/billing/pre-invoices/{pre.pk}/"
    assert pre.total_excluding_vat == Decimal("900.00")
    assert "already billed to" in again.content.decode() and PreInvoice.objects.filter(client=opco).count() == 1


def test_invoicing_by_hand_a_session_not_done_is_refused(preparer, clients, product):
    session = services.save_session(reference="S-2026-11", product=product, start=date(2026, 11, 16),
                                    end=date(2026, 11, 17), learners=[services.LearnerEntry("Anne", clients["ALPHA"])],
                                    fundings=[])

    refused = preparer.post("/training/invoice-by-hand/draft/", {"session": session.pk,
                                                                  "client": clients["ALPHA"].pk}, follow=True)

    assert "is not done: mark it done first" in refused.content.decode() and not PreInvoice.objects.exists()


PAGES = ["/training/products/", "/training/products/new/", "/training/products/1/edit/", "/training/sessions/new/",
         "/training/sessions/1/edit/", "/training/invoice-by-hand/"]


@pytest.mark.parametrize("url", [*PAGES, "/training/invoice-by-hand/draft/"])
def test_anonymous_users_are_sent_to_log_in_and_users_without_a_role_refused(client, as_role, url):
    anonymous = [client.get(url), client.post(url)]
    no_role = as_role()

    assert all(r.status_code == 302 and r["Location"].startswith("/login/") for r in anonymous)
    assert [no_role.get(url).status_code, no_role.post(url).status_code] == [403, 403]


def test_reading_roles_see_but_do_not_enter_nor_invoice(as_role, clients, product):
    validator = as_role("validator")

    assert validator.get("/training/products/").status_code == 200
    assert validator.get("/training/invoice-by-hand/").status_code == 200
    assert validator.get("/training/sessions/new/").status_code == 403
    assert validator.post("/training/products/new/", {"reference": "X"}).status_code == 403
    assert validator.post("/training/invoice-by-hand/draft/", {"session": "1", "client": "1"}).status_code == 403
    assert 'data-test="new-session"' not in validator.get("/training/").content.decode()
    assert 'data-test="invoice-by-hand"' not in validator.get("/invoices/").content.decode()


def done_session(reference: str, product, funder, sponsor, end: date) -> TrainingSession:
    session = TrainingSession.objects.create(reference=reference, product=product, start=end, end=end)
    Learner.objects.create(session=session, name=f"{reference} learner", sponsor=sponsor)
    Funding.objects.create(session=session, funder=funder, sponsor=sponsor, percent=Decimal("100"),
                           file_number=f"DOS-{reference}")
    services.mark_done(session_id=session.pk)
    return session


def test_the_consolidated_pre_invoice_page_lists_its_sessions_and_takes_another(preparer, clients, product):
    Client.objects.filter(code="OPCO").update(training_billing="consolidated")
    done_session("S-1", product, clients["OPCO"], clients["ALPHA"], date(2026, 11, 17))
    done_session("S-2", product, clients["OPCO"], clients["BETA"], date(2026, 12, 1))
    done_session("S-3", product, clients["BETA"], clients["ALPHA"], date(2026, 11, 20))  # funded by someone else
    november = PreInvoice.objects.get(client__code="OPCO", period=date(2026, 11, 1))

    page = preparer.get(f"/billing/pre-invoices/{november.pk}/").content.decode()
    refused = preparer.post(f"/training/pre-invoices/{november.pk}/sessions/", {"session": "S-3"}, follow=True)
    added = preparer.post(f"/training/pre-invoices/{november.pk}/sessions/", {"session": "S-2"}, follow=True)

    assert 'data-test="training-sessions"' in page and "S-1" in page
    assert '<option value="S-2">' in page and '<option value="S-3">' not in page  # only what the client funds
    assert f"{clients['OPCO'].name} funds nothing in session S-3" in refused.content.decode()
    merged = PreInvoice.objects.get(client__code="OPCO")
    assert added.redirect_chain[-1][0] == f"/billing/pre-invoices/{merged.pk}/"
    assert merged.total_excluding_vat == Decimal("1200.00") and "S-2" in added.content.decode()


def test_adding_a_session_needs_the_right_to_run_billing(as_role, clients, product):
    Client.objects.filter(code="OPCO").update(training_billing="consolidated")
    done_session("S-1", product, clients["OPCO"], clients["ALPHA"], date(2026, 11, 17))
    pre = PreInvoice.objects.get(client__code="OPCO")

    response = as_role("validator").post(f"/training/pre-invoices/{pre.pk}/sessions/", {"session": "S-1"})

    assert response.status_code == 403


def test_odd_digits_in_the_address_are_refused_politely(preparer, clients, product):
    page = preparer.get("/training/invoice-by-hand/", {"session": "²"})
    posted = preparer.post("/training/invoice-by-hand/draft/", {"session": "²", "client": "1"})

    assert (page.status_code, posted.status_code) == (200, 302)

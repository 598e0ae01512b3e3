"""Training through the API: products, sessions with learners and fundings, done, training invoices, roles."""

import json

import pytest
from django.test import Client

from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.clients.models import Client as Customer
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def caller(user_with):
    def make(*roles):
        _, key = ApiToken.issue(user=user_with(*roles, username="-".join(roles) or "nobody"), name="t")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


@pytest.fixture
def catalogue(firm):
    """A funder invoiced consolidated (OPCO), one invoiced by hand only (AGEFI), two sponsors, a trainer."""
    f.article("FORM", vat_rate="20")
    f.client(code="OPCO", training_billing="consolidated")
    f.client(code="AGEFI", training_billing="none")
    f.client(code="ALPHA")
    f.client(code="BETA")
    f.collaborator(code="ANNE")
    return firm


def post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


PRODUCT = {"reference": "EXCEL-1", "label": "Excel avancé", "hours": "14", "days": "2", "price": "600",
           "basis": "per_learner", "article": "FORM", "vat_exempt": False}


def session(reference="S1", *, end="2026-11-17", learners=(("Ana", "ALPHA"), ("Bob", "ALPHA"), ("Cy", "BETA")),
            fundings=(), **fields):
    return {"reference": reference, "product": "EXCEL-1", "start": end, "end": end, "place": "Lyon",
            "trainer": "ANNE", "learners": [{"name": n, "sponsor": s} for n, s in learners],
            "fundings": list(fundings), **fields}


# OPCO funds half of ALPHA's part and 250.00 of BETA's; 10 % off the product's price.
S1 = session(discount_percent="10", fundings=(
    {"funder": "OPCO", "sponsor": "ALPHA", "percent": "50", "file_number": "DOS-A", "agreement_reference": "CONV-A"},
    {"funder": "OPCO", "sponsor": "BETA", "amount": "250.00", "file_number": "DOS-B"}))


def test_a_product_and_a_session_entered_through_the_api(catalogue, caller):
    preparer = caller("preparer")

    created = post(preparer, "/api/training/products", PRODUCT)
    updated = post(preparer, "/api/training/products", PRODUCT | {"label": "Excel expert"})
    saved = post(preparer, "/api/training/sessions", S1)
    listed = preparer.get("/api/training/sessions", {"status": "planned"}).json()
    detail = preparer.get("/api/training/sessions/S1").json()

    assert created.status_code == 201 and created.json()["hours"] == "14.00"
    assert updated.status_code == 200 and updated.json() == {
        "reference": "EXCEL-1", "label": "Excel expert", "hours": "14.00", "days": "2.00", "price": "600.00",
        "basis": "per_learner", "billing_unit": "apprenant", "article": "FORM", "vat_exempt": False}
    assert preparer.get("/api/training/products").json()["count"] == 1
    assert saved.status_code == 201
    assert [(s["reference"], s["product"], s["start"], s["end"], s["status"]) for s in listed["items"]] == [
        ("S1", "EXCEL-1", "2026-11-17", "2026-11-17", "planned")]
    assert (detail["trainer"], detail["place"], detail["discount_percent"]) == ("ANNE", "Lyon", "10.00")
    assert detail["learners"] == [{"name": "Ana", "sponsor": "ALPHA"}, {"name": "Bob", "sponsor": "ALPHA"},
                                  {"name": "Cy", "sponsor": "BETA"}]
    assert detail["fundings"] == [
        {"funder": "OPCO", "sponsor": "ALPHA", "amount": None, "per_learner": False, "percent": "50.00",
         "file_number": "DOS-A", "agreement_reference": "CONV-A"},
        {"funder": "OPCO", "sponsor": "BETA", "amount": "250.00", "per_learner": False, "percent": None,
         "file_number": "DOS-B", "agreement_reference": ""}]
    assert detail["billing"] == {"drafts": [], "invoices": []}


def test_bad_input_is_refused_with_its_path_and_nothing_is_saved(catalogue, caller):
    preparer = caller("preparer")
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", S1)

    bad_article = post(preparer, "/api/training/products", PRODUCT | {"reference": "NEW", "article": "NOPE"})
    bad_hours = post(preparer, "/api/training/products", PRODUCT | {"reference": "NEW", "hours": "0"})
    unknown = post(preparer, "/api/training/sessions", session(
        "S9", trainer="NOBODY", learners=(("Ana", "ALPHA"), ("Dan", "GHOST")),
        fundings=({"funder": "OPCO", "sponsor": "ALPHA", "percent": "50"},
                  {"funder": "NOBODY", "sponsor": "ALPHA", "percent": "10"})))
    # An update that breaks a rule leaves the session as it was: its learners and fundings are not replaced.
    too_much = post(preparer, "/api/training/sessions", session(
        "S1", learners=(("Ana", "ALPHA"),), fundings=({"funder": "OPCO", "sponsor": "ALPHA", "percent": "60"},
                                                      {"funder": "AGEFI", "sponsor": "ALPHA", "percent": "50"})))
    neither = post(preparer, "/api/training/sessions", session(
        "S9", fundings=({"funder": "OPCO", "sponsor": "ALPHA"},)))
    backwards = post(preparer, "/api/training/sessions", session("S9", start="2026-11-18"))

    assert bad_article.status_code == 422 and bad_article.json()["detail"] == [
        {"loc": "article", "msg": "article inconnu 'NOPE'"}]
    assert bad_hours.status_code == 422 and bad_hours.json()["detail"] == [
        {"loc": "hours", "msg": "doit être supérieur à 0"}]
    assert unknown.status_code == 422 and unknown.json()["detail"] == [
        {"loc": "trainer", "msg": "collaborateur inconnu 'NOBODY'"},
        {"loc": "learners[1].sponsor", "msg": "client inconnu 'GHOST'"},
        {"loc": "fundings[1].funder", "msg": "client inconnu 'NOBODY'"}]
    assert too_much.status_code == 422 and too_much.json()["detail"][0]["loc"] == "fundings[1].percent"
    assert neither.status_code == 422 and neither.json()["detail"] == [
        {"loc": "fundings[0]", "msg": "donnez soit un montant, soit un pourcentage"}]
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == "end"
    assert list(TrainingProduct.objects.values_list("reference", flat=True)) == ["EXCEL-1"]
    assert list(TrainingSession.objects.values_list("reference", flat=True)) == ["S1"]
    assert (Learner.objects.count(), Funding.objects.count()) == (3, 2)


def test_a_done_session_on_its_funders_consolidated_invoice(catalogue, caller):
    preparer, validator = caller("preparer"), caller("validator")
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", S1)

    done = post(preparer, "/api/training/sessions/S1/done")
    again = post(preparer, "/api/training/sessions/S1/done")
    follow_up = validator.get("/api/training/sessions/S1").json()["billing"]
    opco = next(d for d in follow_up["drafts"] if d["client"] == "OPCO")
    training = validator.get(f"/api/pre-invoices/{opco['id']}/training").json()
    document = validator.get(f"/api/pre-invoices/{opco['id']}").json()
    changed = post(preparer, "/api/training/sessions", S1)

    # OPCO and each sponsor's remainder: 4 charges; the funder's two on one consolidated draft.
    assert done.json() == {"reference": "S1", "status": "done", "charges": 4}
    assert again.json()["charges"] == 0
    assert sorted(d["client"] for d in follow_up["drafts"]) == ["ALPHA", "BETA", "OPCO"]
    assert (opco["total_excluding_vat"], opco["total_including_vat"]) == ("790.00", "948.00")
    assert follow_up["invoices"] == []
    assert training["consolidated"] is True and training["client"] == "OPCO"
    assert training["sessions"] == [{"session": "S1", "product": "EXCEL-1", "sponsors": [
        {"code": code, "name": Customer.objects.get(code=code).name} for code in ("ALPHA", "BETA")]}]
    common = {"session": "S1", "product": "Excel avancé", "billing_unit": "apprenant", "unit_price": "600.00",
              "discount_percent": "10.00", "vat_rate": "20.00", "funded": True}
    lines = [{k: v for k, v in line.items() if k != "sponsor"} | {"sponsor": line["sponsor"]["code"]}
             for line in training["lines"]]
    assert lines == [
        common | {"sponsor": "ALPHA", "learners": 2, "total_excluding_vat": "1080.00", "total_including_vat": "1296.00",
                  "share_excluding_vat": "540.00", "share_including_vat": "648.00"},
        common | {"sponsor": "BETA", "learners": 1, "total_excluding_vat": "540.00", "total_including_vat": "648.00",
                  "share_excluding_vat": "250.00", "share_including_vat": "300.00"}]
    assert changed.status_code == 422 and changed.json()["detail"] == [
        {"loc": "reference", "msg": "la session S1 est terminée : elle ne peut plus être modifiée"}]
    assert [s["ref"] for line in document["lines"] for s in line["items"]] == ["S1/ALPHA", "S1/BETA"]


def test_another_session_joins_the_consolidated_invoice_unless_its_client_funds_nothing_there(catalogue, caller):
    preparer = caller("preparer")
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", S1)
    # December: OPCO funds all of ALPHA's learner. November: AGEFI funds BETA, OPCO nothing.
    post(preparer, "/api/training/sessions", session("S2", end="2026-12-01", learners=(("Eve", "ALPHA"),),
                                                     fundings=({"funder": "OPCO", "sponsor": "ALPHA", "percent": "100",
                                                                "file_number": "DOS-2"},)))
    post(preparer, "/api/training/sessions", session("S3", end="2026-11-20", learners=(("Fay", "BETA"),),
                                                     fundings=({"funder": "AGEFI", "sponsor": "BETA", "percent": "100",
                                                                "file_number": "DOS-3"},)))
    for reference in ("S1", "S2", "S3"):
        post(preparer, f"/api/training/sessions/{reference}/done")
    november = PreInvoice.objects.get(client__code="OPCO", period="2026-11-01")
    offered = preparer.get(f"/api/pre-invoices/{november.pk}/training").json()["sessions_to_add"]

    refused = post(preparer, f"/api/pre-invoices/{november.pk}/training-sessions", {"session": "S3"})
    unknown = post(preparer, f"/api/pre-invoices/{november.pk}/training-sessions", {"session": "S404"})
    added = post(preparer, f"/api/pre-invoices/{november.pk}/training-sessions", {"session": "S2"})
    rebuilt = added.json()["id"]
    training = preparer.get(f"/api/pre-invoices/{rebuilt}/training").json()

    assert offered == ["S2"]
    assert refused.status_code == 409 and refused.json()["detail"] == (
        f"{Customer.objects.get(code='OPCO').name} ne finance rien dans la session S3.")
    assert unknown.status_code == 422 and unknown.json()["detail"] == [
        {"loc": "session", "msg": "session de formation inconnue 'S404'"}]
    assert added.status_code == 200 and rebuilt == november.pk and added.json()["client"] == "OPCO"
    assert [s["session"] for s in training["sessions"]] == ["S1", "S2"]
    assert [(line["session"], line["sponsor"]["code"], line["share_excluding_vat"]) for line in training["lines"]] == [
        ("S1", "ALPHA", "540.00"), ("S1", "BETA", "250.00"), ("S2", "ALPHA", "600.00")]
    assert not PreInvoice.objects.filter(client__code="OPCO", period="2026-12-01").exists()


def test_a_funder_without_automatic_invoicing_is_invoiced_by_hand(catalogue, caller):
    preparer = caller("preparer")
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", session("S3", learners=(("Fay", "BETA"),),
                                                     fundings=({"funder": "AGEFI", "sponsor": "BETA", "percent": "100",
                                                                "file_number": "DOS-3"},)))

    early = post(preparer, "/api/training/sessions/S3/invoice", {"client": "AGEFI"})
    done = post(preparer, "/api/training/sessions/S3/done").json()
    invoiced = post(preparer, "/api/training/sessions/S3/invoice", {"client": "AGEFI"})
    twice = post(preparer, "/api/training/sessions/S3/invoice", {"client": "AGEFI"})
    stranger = post(preparer, "/api/training/sessions/S3/invoice", {"client": "OPCO"})
    unknown = post(preparer, "/api/training/sessions/S3/invoice", {"client": "GHOST"})
    follow_up = preparer.get("/api/training/sessions/S3").json()["billing"]

    assert early.status_code == 409 and early.json()["detail"] == (
        "La session S3 n'est pas terminée : marquez-la d'abord terminée.")
    assert done["charges"] == 0  # AGEFI funds it all and drafts nothing by itself
    assert invoiced.status_code == 201
    pre = invoiced.json()
    assert (pre["client"], pre["total_excluding_vat"], pre["total_including_vat"]) == ("AGEFI", "600.00", "720.00")
    assert follow_up["drafts"] == [{"id": pre["id"], "client": "AGEFI", "total_excluding_vat": "600.00",
                                    "total_including_vat": "720.00"}]
    assert twice.status_code == 409 and "est déjà facturée à" in twice.json()["detail"]
    assert stranger.status_code == 409 and "ne doit rien" in stranger.json()["detail"]
    assert unknown.status_code == 422 and unknown.json()["detail"] == [{"loc": "client", "msg": "client inconnu 'GHOST'"}]


def test_cancelling_a_done_session_removes_its_drafts(catalogue, caller):
    preparer = caller("preparer")
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", S1)
    post(preparer, "/api/training/sessions/S1/done")

    cancelled = post(preparer, "/api/training/sessions/S1/cancel")
    redone = post(preparer, "/api/training/sessions/S1/done")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["billing"] == {"drafts": [], "invoices": []}
    assert redone.status_code == 409 and redone.json()["detail"] == "La session S1 est annulée."


def test_each_endpoint_asks_for_its_role(catalogue, caller):
    preparer, validator, nobody, anonymous = caller("preparer"), caller("validator"), caller(), Client()
    post(preparer, "/api/training/products", PRODUCT)
    post(preparer, "/api/training/sessions", S1)

    assert anonymous.get("/api/training/sessions").status_code == 401
    assert post(anonymous, "/api/training/sessions/S1/done").status_code == 401
    assert nobody.get("/api/training/sessions").status_code == 403
    assert nobody.get("/api/training/products").status_code == 403
    assert nobody.get("/api/training/sessions/S1").status_code == 403
    assert nobody.get("/api/pre-invoices/1/training").status_code == 403
    assert validator.get("/api/training/sessions/S1").status_code == 200
    assert validator.get("/api/training/sessions/NOPE").json() == {"detail": "aucune session de formation 'NOPE'"}
    refused = [post(validator, url, data).status_code for url, data in (
        ("/api/training/products", PRODUCT), ("/api/training/sessions", S1), ("/api/training/sessions/S1/done", {}),
        ("/api/training/sessions/S1/cancel", {}), ("/api/training/sessions/S1/invoice", {"client": "OPCO"}),
        ("/api/pre-invoices/1/training-sessions", {"session": "S1"}))]
    assert refused == [403] * 6
    assert post(validator, "/api/training/sessions/S1/done").json()["detail"] == "votre rôle ne le permet pas"
    assert TrainingSession.objects.get().status == "planned"

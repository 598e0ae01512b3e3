"""Training products and sessions in the portfolio file: all or nothing, errors at their JSON path, round trip."""

import json
from decimal import Decimal

import pytest

from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.imports.portfolio import _Plan, export_portfolio, import_portfolio
from prebill.imports.problems import Checker, ImportRejected
from prebill.imports.references import References
from prebill.organisation.models import Organisation
from prebill.training import services
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession

from .sample import portfolio, problems_of

pytestmark = pytest.mark.django_db


def address(city: str) -> list[dict]:
    return [{"code": "main", "line1": "1 rue Test", "postcode": "69002", "city": city}]


def training_portfolio() -> dict:
    """The sample firm, which also trains: a sponsor and a funder defined in the same file."""
    data = portfolio()
    data["articles"].append({"code": "FORM", "label": "Formation professionnelle continue", "unit": "apprenant",
                             "vat_rate": "20", "revenue_account": "706600"})
    data["clients"] += [
        {"code": "C0002", "name": "Garage Durand", "siren": "443061841", "addresses": address("Lyon"),
         "billing_conditions": [{"applies_from": "2026-01-01"}]},
        {"code": "OPCO", "name": "OPCO Compétences", "siren": "851800987", "training_billing": "consolidated",
         "addresses": address("Paris"),
         "billing_conditions": [{"applies_from": "2026-01-01"}]},
    ]
    data["training_products"] = [
        {"reference": "COMPTA-1", "label": "Initiation à la comptabilité", "hours": "14", "days": "2",
         "price": "600.00", "basis": "per_learner", "article": "FORM", "vat_exempt": True},
        {"reference": "INTRA-1", "label": "Formation intra-entreprise", "hours": "7", "days": "1", "price": "1500",
         "basis": "per_group", "article": "FORM"},
    ]
    data["training_sessions"] = [
        {"reference": "S-1", "product": "COMPTA-1", "start": "2026-11-16", "end": "2026-11-17", "place": "Lyon",
         "trainer": "JDU", "discount_percent": "10", "status": "ongoing",
         "learners": [{"name": "Alice Martin", "sponsor": "C0001"}, {"name": "Bruno Petit", "sponsor": "C0001"},
                      {"name": "Chloé Durand", "sponsor": "C0002"}],
         "fundings": [{"funder": "OPCO", "sponsor": "C0001", "percent": "100", "file_number": "PEC-1",
                       "agreement_reference": "CONV-1"},
                      {"funder": "OPCO", "sponsor": "C0002", "amount": "300.00", "per_learner": True,
                       "file_number": "PEC-2"}]},
        {"reference": "S-2", "product": "INTRA-1", "start": "2026-12-03", "end": "2026-12-03",
         "learners": [{"name": "Denis Roy", "sponsor": "C0002"}]},
    ]
    return data


def test_products_and_sessions_are_imported_with_their_learners_and_fundings():
    counts = import_portfolio(training_portfolio())

    assert counts["training_products"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert counts["training_sessions"] == {"created": 2, "updated": 0, "unchanged": 0}
    product = TrainingProduct.objects.get(reference="INTRA-1")
    assert (product.basis, product.vat_exempt, product.price, product.article.code) == (
        "per_group", True, Decimal("1500.00"), "FORM")
    session = TrainingSession.objects.get(reference="S-1")
    assert (session.status, session.trainer.code, session.discount_percent, session.place) == (
        "ongoing", "JDU", Decimal("10"), "Lyon")
    assert [(learner.name, learner.sponsor.code) for learner in session.learners.order_by("pk")] == [
        ("Alice Martin", "C0001"), ("Bruno Petit", "C0001"), ("Chloé Durand", "C0002")]
    assert [(f.funder.code, f.sponsor.code, f.amount, f.percent, f.per_learner, f.file_number, f.agreement_reference)
            for f in session.fundings.order_by("pk")] == [
        ("OPCO", "C0001", None, Decimal("100"), False, "PEC-1", "CONV-1"),
        ("OPCO", "C0002", Decimal("300.00"), None, True, "PEC-2", "")]
    assert TrainingSession.objects.get(reference="S-2").status == "planned"
    assert Client.objects.get(code="OPCO").training_billing == "consolidated"
    assert Client.objects.get(code="C0002").training_billing == ""  # a new client follows the firm's default


def test_an_imported_session_done_is_drafted_by_its_funders_option():
    import_portfolio(training_portfolio())
    session = TrainingSession.objects.get(reference="S-1")

    services.mark_done(session_id=session.pk)

    funder = PreInvoice.objects.get(client__code="OPCO")
    remainder = PreInvoice.objects.get(client__code="C0002")
    # 2 × 600 − 10 % for C0001, all funded; 540 for C0002, of which the funder pays 300.
    assert (funder.total_excluding_vat, funder.total_vat, funder.lines.count()) == (Decimal("1380.00"), 0, 2)
    assert remainder.total_excluding_vat == Decimal("240.00")


def test_importing_the_same_file_again_changes_nothing():
    import_portfolio(training_portfolio())
    learners = list(Learner.objects.values_list("pk", flat=True))
    events = AuditEvent.objects.count()

    counts = import_portfolio(training_portfolio())

    assert counts["training_products"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert counts["training_sessions"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert list(Learner.objects.values_list("pk", flat=True)) == learners
    assert AuditEvent.objects.count() == events


def test_a_changed_session_replaces_its_learners_and_fundings():
    import_portfolio(training_portfolio())
    data = training_portfolio()
    session = data["training_sessions"][0]
    session["learners"] = session["learners"][:2]
    session["fundings"] = [{"funder": "OPCO", "sponsor": "C0001", "percent": "50"}]
    session["status"] = "planned"
    data["training_products"][0]["price"] = "650"

    counts = import_portfolio(data)

    assert counts["training_sessions"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert counts["training_products"] == {"created": 0, "updated": 1, "unchanged": 1}
    saved = TrainingSession.objects.get(reference="S-1")
    assert saved.status == "planned" and saved.learners.count() == 2
    assert list(saved.fundings.values_list("percent", flat=True)) == [Decimal("50.00")]
    assert TrainingProduct.objects.get(reference="COMPTA-1").price == Decimal("650.00")


def _session(data, n=0) -> dict:
    return data["training_sessions"][n]


@pytest.mark.parametrize(("break_it", "where", "why"), [
    (lambda d: _session(d).update(product="NOPE"), "$.training_sessions[0].product", "unknown training product 'NOPE'"),
    (lambda d: d["training_products"][0].update(article="NOPE"), "$.training_products[0].article",
     "unknown article 'NOPE'"),
    (lambda d: d["training_products"][0].update(hours="0"), "$.training_products[0].hours", "more than 0"),
    (lambda d: d["training_products"][1].update(price="-1"), "$.training_products[1].price", "negative"),
    (lambda d: d["training_products"][0].update(basis="per_day"), "$.training_products[0].basis", "is not one of"),
    (lambda d: d["training_products"][0].update(reference=" COMPTA-1"), "$.training_products[0].reference",
     "does not have the expected form"),
    (lambda d: d["training_products"][0].update(label="  "), "$.training_products[0].label", "required"),
    (lambda d: d["training_products"].append(dict(d["training_products"][0])), "$.training_products[2].reference",
     "duplicate training product 'COMPTA-1'"),
    (lambda d: _session(d).update(end="2026-11-15"), "$.training_sessions[0].end", "before it starts"),
    (lambda d: _session(d).update(start="2026-02-30"), "$.training_sessions[0].start", "not a date of the calendar"),
    (lambda d: _session(d).update(trainer="NOBODY"), "$.training_sessions[0].trainer", "unknown collaborator"),
    (lambda d: _session(d).update(discount_percent="100"), "$.training_sessions[0].discount_percent",
     "not less than 100"),
    (lambda d: _session(d).update(status="done"), "$.training_sessions[0].status", "prebill training done S-1"),
    (lambda d: _session(d, 1).update(status="cancelled"), "$.training_sessions[1].status",
     "prebill training cancel S-2"),
    (lambda d: _session(d).update(colour="blue"), "$.training_sessions[0]", "unknown field"),
    (lambda d: _session(d)["learners"][1].update(sponsor="C9999"), "$.training_sessions[0].learners[1].sponsor",
     "unknown client 'C9999'"),
    (lambda d: _session(d)["learners"][1].update(name=" "), "$.training_sessions[0].learners[1].name", "required"),
    (lambda d: _session(d, 1).update(fundings=[{"funder": "OPCO", "sponsor": "C0001", "percent": "100"}]),
     "$.training_sessions[1].fundings[0].sponsor", "C0001 sends no learner to this session"),
    (lambda d: _session(d)["fundings"][0].update(funder="NOPE"), "$.training_sessions[0].fundings[0].funder",
     "unknown client 'NOPE'"),
    (lambda d: _session(d)["fundings"][1].update(percent="20"), "$.training_sessions[0].fundings[1]",
     "either an amount or a percentage, not both"),
    (lambda d: _session(d)["fundings"][1].pop("amount"), "$.training_sessions[0].fundings[1]",
     "either an amount or a percentage"),
    (lambda d: _session(d)["fundings"][0].update(percent="120"), "$.training_sessions[0].fundings[0].percent",
     "above 100"),
    (lambda d: _session(d)["fundings"][1].update(amount="0"), "$.training_sessions[0].fundings[1].amount",
     "more than 0"),
    (lambda d: _session(d)["fundings"].append({"funder": "C0002", "sponsor": "C0001", "percent": "0.01"}),
     "$.training_sessions[0].fundings[2].percent", "the fundings of C0001 exceed 100 %"),
    (lambda d: d["training_sessions"].append(dict(_session(d))), "$.training_sessions[2].reference",
     "duplicate training session 'S-1'"),
    (lambda d: d["clients"][2].update(training_billing="sometimes"), "$.clients[2].training_billing",
     "is not one of"),
    (lambda d: d["organisation"].update(training_billing=""), "$.organisation.training_billing", "is not one of"),
])
def test_bad_training_input_is_refused_with_its_path_and_reason(break_it, where, why):
    data = training_portfolio()
    break_it(data)

    problems = problems_of(data)

    assert why in problems.get(where, ""), problems


def test_a_refused_file_imports_nothing_at_all():
    data = training_portfolio()
    data["training_sessions"][1]["learners"][0]["sponsor"] = "C9999"

    problems = problems_of(data)

    assert list(problems) == ["$.training_sessions[1].learners[0].sponsor"]
    assert not Client.objects.exists() and not TrainingProduct.objects.exists()
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize("close", ["done", "cancelled"])
def test_a_session_done_or_cancelled_is_repeated_unchanged_but_never_changed(close):
    import_portfolio(training_portfolio())
    session = TrainingSession.objects.get(reference="S-1")
    if close == "done":
        services.mark_done(session_id=session.pk)
    else:
        services.cancel(session_id=session.pk)
    data = training_portfolio()
    del data["training_sessions"][0]["status"]  # as in a file written before

    counts = import_portfolio(data)
    data["training_sessions"][0]["status"] = close
    assert import_portfolio(data)["training_sessions"]["unchanged"] == 2  # exactly what the database holds
    data["training_sessions"][0]["fundings"][0]["percent"] = "80"
    changed = problems_of(data)
    data["training_sessions"][0]["fundings"][0]["percent"] = "100"
    data["training_sessions"][0]["status"] = "planned"
    reopened = problems_of(data)

    assert counts["training_sessions"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert changed == {"$.training_sessions[0].reference":
                       f"session S-1 is {close}: it can no longer be changed (its charges stand on drafts or invoices)"}
    assert list(reopened) == ["$.training_sessions[0].reference"]
    assert Funding.objects.get(session=session, sponsor__code="C0001").percent == Decimal("100")
    assert TrainingSession.objects.get(pk=session.pk).status == close


def test_a_session_done_between_the_check_and_the_write_is_refused_all_the_same():
    import_portfolio(training_portfolio())
    data = training_portfolio()
    data["training_sessions"][0]["place"] = "Paris"
    plan = _Plan(data, References.from_database(), Checker())
    plan.check()
    services.mark_done(session_id=TrainingSession.objects.get(reference="S-1").pk)

    with pytest.raises(ImportRejected) as rejected:
        plan.write()

    assert [p.where for p in rejected.value.problems] == ["$.training_sessions[0].reference"]
    assert TrainingSession.objects.get(reference="S-1").place == "Lyon"


def test_the_training_options_of_the_firm_and_its_clients_travel_and_are_kept_when_absent():
    data = training_portfolio()
    data["organisation"]["training_billing"] = "none"
    import_portfolio(data)
    Client.objects.filter(code="C0002").update(training_billing="pair")  # set on the client's page since
    older = training_portfolio()
    del older["clients"][2]["training_billing"]

    import_portfolio(older)

    assert Organisation.objects.get().training_billing == "none"
    assert dict(Client.objects.values_list("code", "training_billing")) == {
        "C0001": "", "C0002": "pair", "OPCO": "consolidated"}
    assert export_portfolio()["organisation"]["training_billing"] == "none"
    assert [c["training_billing"] for c in export_portfolio()["clients"]] == ["", "pair", "consolidated"]


def test_the_round_trip_with_training_is_lossless():
    import_portfolio(training_portfolio())
    exported = export_portfolio()
    sessions = exported["training_sessions"]
    assert [s["reference"] for s in sessions] == ["S-1", "S-2"]
    assert sessions[0]["fundings"] == [
        {"funder": "OPCO", "sponsor": "C0001", "percent": "100.00", "file_number": "PEC-1",
         "agreement_reference": "CONV-1"},
        {"funder": "OPCO", "sponsor": "C0002", "amount": "300.00", "per_learner": True, "file_number": "PEC-2"}]
    assert sessions[0]["status"] == "ongoing" and sessions[1]["trainer"] is None

    again = import_portfolio(json.loads(json.dumps(exported)))

    assert again["training_sessions"] == {"created": 0, "updated": 0, "unchanged": 2}
    TrainingSession.objects.all().delete()
    TrainingProduct.objects.all().delete()
    Client.objects.filter(code__in=["C0002", "OPCO"]).delete()
    import_portfolio(json.loads(json.dumps(exported)))
    assert export_portfolio() == exported

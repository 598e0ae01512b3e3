"""Every refusal a user can meet reads French in the French interface: page, API and command line.

The services raise gettext() messages; the core raises English msgids (gettext_noop) that each interface
translates once; an import's problems keep their msgid and parameters until the page, the API or the command
line shows them. All must be in the French catalogue.
"""

import ast
import json
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

import prebill
from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.main import locale_language, main
from prebill.core.lifecycle import InvoiceState, TransitionRefused, check_transition
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from tests import factories as f

SOURCE = Path(prebill.__file__).parent
MARKERS = {"gettext", "gettext_lazy", "gettext_noop", "_"}


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(SOURCE.rglob("*.py")) if "migrations" not in path.parts}


def _refusal_classes(trees) -> set[str]:
    """Refusal and every class deriving from it, by name, across the package."""
    classes = [node for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    names, grew = {"Refusal"}, True
    while grew:
        grew = False
        for node in classes:
            if node.name not in names and any(_name(base) in names for base in node.bases):
                names.add(node.name)
                grew = True
    return names


def _msgids(node: ast.expr, where: str, untranslatable: list[str]):
    """The msgids a refusal's message is made of (its dynamic parts, names and calls, are not literals)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.Call) and _name(node.func) in MARKERS and node.args:
        yield from _msgids(node.args[0], where, untranslatable)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        yield from _msgids(node.left, where, untranslatable)
    elif isinstance(node, ast.IfExp):
        yield from _msgids(node.body, where, untranslatable)
        yield from _msgids(node.orelse, where, untranslatable)
    elif isinstance(node, ast.JoinedStr):
        untranslatable.append(f"{where}: an f-string cannot be translated")


def _raised_messages() -> tuple[list[tuple[str, str]], list[str]]:
    trees = _trees()
    refusals = _refusal_classes(trees) - {"ImportRejected"}  # its message is built inside, its problems are data
    found, untranslatable = [], []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and _name(node.exc.func) in refusals):
                continue
            call, where = node.exc, f"{path.relative_to(SOURCE)}:{node.lineno}"
            position = 1 if _name(call.func) == "EntryRefused" else 0  # EntryRefused(field, message)
            message = next((k.value for k in call.keywords if k.arg == "message"),
                           call.args[position] if len(call.args) > position else None)
            if message is not None:
                found += [(where, msgid) for msgid in _msgids(message, where, untranslatable)]
    return found, untranslatable


def test_every_refusal_message_raised_has_its_french_translation():
    found, untranslatable = _raised_messages()

    with translation.override("fr"):
        missing = [f"{where}: {msgid!r}" for where, msgid in found if translation.gettext(msgid) == msgid]

    assert len(found) > 100  # the scan sees the services and the core
    assert not untranslatable, "\n".join(untranslatable)
    assert not missing, "no French msgstr in django.po for:\n" + "\n".join(missing)


# The packages whose every text is marked and translated: the problems of the imports, the API's answers, the command
# line's results, the core's msgids (refusals and state labels).
INTERFACES = ("imports", "api", "cli", "core")


def _problem_reasons(tree: ast.Module, where: str, untranslatable: list[str]) -> int:
    """The reasons given to Checker.add(where, why, ...) and Problem(where, why, ...): a msgid marked with
    gettext_noop (or a msgid held by a name: a parameter, a refusal's message), never a text built here."""
    count = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and _name(node.func) in ("add", "Problem", "_problem")
                and len(node.args) >= 2):
            continue
        reason = node.args[1]
        reasons = [reason.body, reason.orelse] if isinstance(reason, ast.IfExp) else [reason]
        for why in reasons:
            count += 1
            if isinstance(why, ast.Constant | ast.JoinedStr | ast.BinOp):
                untranslatable.append(f"{where}:{node.lineno}: a problem's reason is not a gettext_noop msgid")
    return count


def test_every_problem_and_every_text_of_the_interfaces_has_its_french_translation():
    catalogue = trans_real.translation("fr")._catalog
    found, untranslatable, reasons = [], [], 0
    for path, tree in _trees().items():
        relative = path.relative_to(SOURCE)
        if relative.parts[0] not in INTERFACES:
            continue
        reasons += _problem_reasons(tree, str(relative), untranslatable)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and _name(node.func) in MARKERS and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.append((f"{relative}:{node.lineno}", node.args[0].value))

    missing = [f"{where}: {msgid!r}" for where, msgid in found if msgid not in catalogue]

    assert reasons > 100 and len(found) > 250  # the scan sees the import checks and the interfaces
    assert not untranslatable, "\n".join(untranslatable)
    assert not missing, "no French msgstr in django.po for:\n" + "\n".join(missing)


# -- one real case per interface: a pre-invoice validated twice, an invoice posted twice -----------------------


@pytest.fixture
def pre_invoice(firm):
    f.fixed_fee_part(f.engagement(f.client(code="ACME")), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    return PreInvoice.objects.get()


def _api(user_with, *roles) -> Client:
    _, key = ApiToken.issue(user=user_with(*roles, username="api-" + "-".join(roles)), name="t")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_api_answers_a_refusal_in_the_callers_language(pre_invoice, user_with):
    caller = _api(user_with, "validator", "accountant")
    url = f"/api/pre-invoices/{pre_invoice.pk}/validate"
    caller.post(url, json.dumps({"issue_date": "2026-11-30"}), content_type="application/json")
    caller.post("/api/invoices/F2026-000001/post")

    twice = caller.post(url, json.dumps({"issue_date": "2026-11-30"}), content_type="application/json")
    posted_again = caller.post("/api/invoices/F2026-000001/post")
    in_english = caller.post("/api/invoices/F2026-000001/post", headers={"Accept-Language": "en"})

    assert twice.status_code == 409
    assert twice.json() == {"detail": "Cette pré-facture a été validée en facture F2026-000001.", "where": ""}
    assert posted_again.status_code == 409  # a core refusal, translated by the API
    assert posted_again.json()["detail"] == ("une facture comptabilisée ne peut pas devenir comptabilisée "
                                             "(états possibles : partiellement payée, payée)")
    assert in_english.status_code == 409
    assert in_english.json()["detail"] == "an invoice posted cannot become posted (allowed: partly paid, paid)"


def test_a_page_shows_a_refusal_in_french_and_goes_back_to_the_form(client, pre_invoice, user_with):
    client.force_login(user_with("validator", "accountant"))
    client.post(f"/invoices/validate/{pre_invoice.pk}/")
    invoice_page = f"/invoices/{Invoice.objects.get().pk}/"

    twice = client.post(f"/invoices/validate/{pre_invoice.pk}/", follow=True)
    post = f"/accounting/invoices/{Invoice.objects.get().pk}/post/"
    posted = client.post(post, HTTP_REFERER=f"http://testserver{invoice_page}")
    again = client.post(post, HTTP_REFERER=f"http://testserver{invoice_page}", follow=True)
    elsewhere = client.post(post, HTTP_REFERER="https://elsewhere.example/phish")

    assert "Cette pré-facture a été validée en facture F2026-000001." in twice.content.decode()
    assert posted.status_code == 302 and posted["Location"] == invoice_page
    assert again.redirect_chain == [(f"http://testserver{invoice_page}", 302)]
    assert "une facture comptabilisée ne peut pas devenir comptabilisée" in again.content.decode()
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/"  # never back to another site


def test_the_command_line_refuses_in_the_locales_language(pre_invoice, capsys, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert main(["validate", str(pre_invoice.pk), "--date", "2026-11-30"]) == 0
    validated = capsys.readouterr()

    french = main(["validate", str(pre_invoice.pk), "--date", "2026-11-30"]), capsys.readouterr()
    monkeypatch.setenv("LANG", "C.UTF-8")
    english = main(["post", "F2026-000001", "F2026-000001"]), capsys.readouterr()
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    bad_month = main(["run", "--period", "2026-13"]), capsys.readouterr()

    assert validated.out == f"pré-facture {pre_invoice.pk} -> F2026-000001 (120.00 TTC)\n"  # a result, in French too
    assert french[0] == 2
    assert french[1].err == (f"pré-facture {pre_invoice.pk} : "
                             "Cette pré-facture a été validée en facture F2026-000001.\n")
    assert english[0] == 2
    assert english[1].err == "F2026-000001: an invoice posted cannot become posted (allowed: partly paid, paid)\n"
    assert bad_month[0] == 2 and bad_month[1].err.startswith("erreur : une période s'écrit AAAA-MM")


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "fr_FR.UTF-8"}, "fr"), ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "C.UTF-8", "LC_MESSAGES": "fr_CA"}, "fr"), ({"LANG": "en_GB.UTF-8"}, "en"), ({}, "en")])
def test_the_command_lines_language_is_the_locales(environ, language):
    assert locale_language(environ) == language


# -- the states of an invoice are named by their labels -------------------------------------------------------------


def test_a_transition_refused_names_the_states_by_their_labels_in_the_users_language():
    with pytest.raises(TransitionRefused) as posted_twice:
        check_transition(InvoiceState.POSTED, InvoiceState.POSTED)
    with pytest.raises(TransitionRefused) as paid_posted:
        check_transition(InvoiceState.PAID, InvoiceState.POSTED)

    with translation.override("fr"):
        french = posted_twice.value.translated(translation.gettext), paid_posted.value.translated(translation.gettext)

    assert str(posted_twice.value) == "an invoice posted cannot become posted (allowed: partly paid, paid)"
    assert french == ("une facture comptabilisée ne peut pas devenir comptabilisée "
                      "(états possibles : partiellement payée, payée)",
                      "une facture payée ne peut pas devenir comptabilisée (états possibles : aucun)")


# -- an import's problems, the API's own answers and the command line's results -------------------------------------

METRICS = b"client,metric,period,quantity\nNOPE,PAYSLIPS,2026-11,1.23456\n"


def test_the_import_page_shows_the_problems_in_the_users_language(client, user_with):
    client.force_login(user_with("preparer"))

    def upload(**headers):
        return client.post("/imports/", {"kind": "metrics", "file": SimpleUploadedFile("paie.csv", METRICS)},
                           headers=headers)

    french, english = upload(), upload(**{"Accept-Language": "en"})

    assert french.status_code == english.status_code == 422
    assert french.context["problems"] == ["ligne 2, colonne client : client inconnu 'NOPE'",
                                          "ligne 2, colonne quantity : quantité 1.23456 : plus de 4 décimales"]
    assert "client inconnu &#x27;NOPE&#x27;" in french.content.decode()
    assert english.context["problems"] == ["line 2, column client: unknown client 'NOPE'",
                                           "line 2, column quantity: quantity 1.23456 has more than 4 decimals"]


def test_the_api_says_an_imports_problems_in_the_callers_language(db, user_with):
    caller = _api(user_with, "preparer")
    rows = json.dumps([{"client": "NOPE", "metric": "PAYSLIPS", "period": "2026-11", "quantity": "-1"}])

    def push(**headers):
        return caller.post("/api/unit-metrics/bulk", rows, content_type="application/json", headers=headers)

    french, english = push(**{"Accept-Language": "fr"}), push(**{"Accept-Language": "en"})

    assert french.status_code == english.status_code == 422
    assert french.json()["detail"] == [{"loc": "$[0].client", "msg": "client inconnu 'NOPE'"},
                                       {"loc": "$[0].quantity", "msg": "quantité -1 : valeur négative"}]
    assert english.json()["detail"] == [{"loc": "$[0].client", "msg": "unknown client 'NOPE'"},
                                        {"loc": "$[0].quantity", "msg": "quantity -1 is negative"}]


def test_the_api_answers_401_403_and_404_in_the_callers_language(db, user_with):
    reader, anonymous = _api(user_with, "validator"), Client()
    french, english = {"Accept-Language": "fr"}, {"Accept-Language": "en"}

    forbidden = reader.post("/api/runs", json.dumps({"period": "2026-11"}), content_type="application/json",
                            headers=french)
    forbidden_en = reader.post("/api/runs", json.dumps({"period": "2026-11"}), content_type="application/json",
                               headers=english)
    missing, missing_en = (reader.get("/api/clients/NOPE", headers=french),
                           reader.get("/api/clients/NOPE", headers=english))
    no_route = reader.get("/api/nowhere", headers=french)
    unknown, unknown_en = anonymous.get("/api/clients", headers=french), anonymous.get("/api/clients", headers=english)

    assert (forbidden.status_code, forbidden.json()) == (403, {"detail": "votre rôle ne le permet pas"})
    assert forbidden_en.json() == {"detail": "your role does not allow this"}
    assert (missing.status_code, missing.json()) == (404, {"detail": "Introuvable"})  # get_object_or_404
    assert missing_en.json() == {"detail": "Not Found"}
    assert (no_route.status_code, no_route.json()) == (404, {"detail": "Introuvable"})  # Django's own 404
    assert (unknown.status_code, unknown.json()) == (
        401, {"detail": "authentification requise : un jeton d'accès (bearer) valide"})
    assert unknown_en.json() == {"detail": "authentication required: a valid bearer token"}


def test_the_command_line_says_an_imports_problems_and_its_counts_in_the_locales_language(db, tmp_path, capsys,
                                                                                          monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(METRICS)
    f.client(code="ACME")
    good.write_bytes(b"client,metric,period,quantity\nACME,PAYSLIPS,2026-11,12\n")

    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    french = main(["import-metrics", str(bad)]), capsys.readouterr()
    imported = main(["import-metrics", str(good)]), capsys.readouterr()
    monkeypatch.setenv("LANG", "C.UTF-8")
    english = main(["import-metrics", str(bad)]), capsys.readouterr()
    again = main(["import-metrics", str(good)]), capsys.readouterr()

    assert french[0] == english[0] == 2
    assert french[1].err == (f"erreur : {bad} : 2 problème(s) ; rien n'a été importé.\n"
                             "  ligne 2, colonne client : client inconnu 'NOPE'\n"
                             "  ligne 2, colonne quantity : quantité 1.23456 : plus de 4 décimales\n")
    assert english[1].err == (f"error: {bad}: 2 problem(s); nothing was imported.\n"
                              "  line 2, column client: unknown client 'NOPE'\n"
                              "  line 2, column quantity: quantity 1.23456 has more than 4 decimals\n")
    assert imported == (0, (f"{good} : importé\n  unit_metrics: 1 créé(s), 0 mis à jour, 0 inchangé(s)\n", ""))
    assert again == (0, (f"{good}: imported\n  unit_metrics: 0 created, 0 updated, 1 unchanged\n", ""))

"""Every refusal a user can meet reads French in the French interface: page, API and command line.

The services raise gettext() messages; the core raises English msgids (gettext_noop) that each interface
translates once. Both must be in the French catalogue.
"""

import ast
import json
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import prebill
from prebill.api.models import ApiToken
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.main import locale_language, main
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
    assert posted_again.json()["detail"] == ("une facture posted ne peut pas devenir posted "
                                             "(états possibles : paid, partly_paid)")
    assert in_english.status_code == 409
    assert in_english.json()["detail"] == "an invoice posted cannot become posted (allowed: paid, partly_paid)"


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
    assert "une facture posted ne peut pas devenir posted" in again.content.decode()
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/"  # never back to another site


def test_the_command_line_refuses_in_the_locales_language(pre_invoice, capsys, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert main(["validate", str(pre_invoice.pk), "--date", "2026-11-30"]) == 0
    capsys.readouterr()

    french = main(["validate", str(pre_invoice.pk), "--date", "2026-11-30"]), capsys.readouterr()
    monkeypatch.setenv("LANG", "C.UTF-8")
    english = main(["post", "F2026-000001", "F2026-000001"]), capsys.readouterr()
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    bad_month = main(["run", "--period", "2026-13"]), capsys.readouterr()

    assert french[0] == 2
    assert french[1].err == (f"pré-facture {pre_invoice.pk} : "
                             "Cette pré-facture a été validée en facture F2026-000001.\n")
    assert english[0] == 2
    assert english[1].err == "F2026-000001: an invoice posted cannot become posted (allowed: paid, partly_paid)\n"
    assert bad_month[0] == 2 and bad_month[1].err.startswith("erreur : une période s'écrit AAAA-MM")


@pytest.mark.parametrize(("environ", "language"), [
    ({"LANG": "fr_FR.UTF-8"}, "fr"), ({"LANG": "fr_FR.UTF-8", "LC_ALL": "C"}, "en"),
    ({"LANG": "C.UTF-8", "LC_MESSAGES": "fr_CA"}, "fr"), ({"LANG": "en_GB.UTF-8"}, "en"), ({}, "en")])
def test_the_command_lines_language_is_the_locales(environ, language):
    assert locale_language(environ) == language

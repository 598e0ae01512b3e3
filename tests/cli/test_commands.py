"""The `prebill` command line, as a firm's clerk uses it."""

import csv
import io
import json
from datetime import date

import pytest

from prebill.billing.models import BillableItem, PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.cli.commands import dispatch
from prebill.clients.models import Client
from prebill.core.periods import Period
from prebill.invoicing.models import Invoice
from tests import factories as f
from tests.imports.sample import portfolio

pytestmark = pytest.mark.django_db


def run(capsys, *argv) -> tuple[int, str, str]:
    code = dispatch(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def portfolio_file(tmp_path):
    path = tmp_path / "portfolio.json"
    path.write_text(json.dumps(portfolio()), encoding="utf-8")
    return path


def test_import_run_and_export_pre_invoices(capsys, portfolio_file, tmp_path):
    code, out, _ = run(capsys, "import", str(portfolio_file))
    assert code == 0 and "clients: 1 créé(s)" in out

    code, out, _ = run(capsys, "run", "--period", "2026-11")
    assert code == 0
    assert "pré-factures : 2" in out and "total HT : 747.00" in out

    code, out, _ = run(capsys, "export", "pre-invoices", "--period", "2026-11", "--format", "json")
    exported = json.loads(out)["pre_invoices"]
    time_doc = next(doc for doc in exported if doc["lines"][0]["kind"] == "time")
    assert time_doc["client"] == "C0001"
    assert time_doc["lines"][0]["items"][0]["ref"] == "T-1"
    assert time_doc["lines"][0]["article"] == "CONS/AUD"
    assert time_doc["vat_breakdown"] == [{"rate": "20.00", "base": "525.00", "vat": "105.00"}]

    target = tmp_path / "lines.csv"
    code, _, _ = run(capsys, "export", "pre-invoices", "--period", "2026-11", "--format", "csv", "-o", str(target))
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert code == 0 and sorted(r["amount_excluding_vat"] for r in rows) == ["222.00", "525.00"]


def test_a_bad_file_exits_with_status_2_lists_its_problems_and_imports_nothing(capsys, tmp_path):
    data = portfolio()
    data["clients"][0]["siren"] = "123"
    data["engagements"][0]["manager"] = "NOBODY"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    code, _, err = run(capsys, "import", str(path))

    assert code == 2
    assert "2 problème(s) ; rien n'a été importé" in err
    assert "$.clients[0].siren : a SIREN has exactly 9 digits" in err
    assert "$.engagements[0].manager : collaborateur inconnu 'NOBODY'" in err
    assert not Client.objects.exists()


def test_a_bad_period_is_refused(capsys):
    code, _, err = run(capsys, "run", "--period", "2026-13")

    assert code == 2 and err.startswith("erreur : une période s'écrit AAAA-MM")


def test_the_portfolio_export_can_be_imported_again(capsys, portfolio_file, tmp_path):
    run(capsys, "import", str(portfolio_file))
    target = tmp_path / "export.json"

    code, _, _ = run(capsys, "export", "portfolio", "-o", str(target))
    again, out, _ = run(capsys, "import", str(target))

    assert code == again == 0
    assert "créé(s)" in out and "1 inchangé(s)" in out


def test_validate_a_month_or_a_client_of_it_without_naming_ids(capsys, firm):
    first, second = f.client(), f.client()
    f.fixed_fee_part(f.engagement(first), installments=[(date(2026, 11, 30), "100.00")])
    f.fixed_fee_part(f.engagement(second), installments=[(date(2026, 11, 30), "250.00")])
    run_pre_billing(period=Period(2026, 11))

    vague = run(capsys, "validate", "--period", "2026-11")
    one = run(capsys, "validate", "--period", "2026-11", "--client", second.code)
    rest = run(capsys, "validate", "--period", "2026-11", "--all")
    nothing = run(capsys, "validate", "--period", "2026-11", "--all")

    assert vague[0] == 2 and "--client ou --all" in vague[2]
    assert one[0] == 0 and "(300.00 TTC)" in one[1] and "120.00" not in one[1]
    assert rest[0] == 0 and "(120.00 TTC)" in rest[1]
    assert nothing[0] == 2 and "aucune préfacture à valider en 2026-11" in nothing[2]
    # Each invoice took its draft's date (30/11), which had come.
    assert set(Invoice.objects.values_list("issue_date", flat=True)) == {date(2026, 11, 30)}


def test_validate_post_credit_and_fec_from_the_command_line(capsys, firm, tmp_path):
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    pre = PreInvoice.objects.get()

    validated = run(capsys, "validate", str(pre.pk), "--date", "2026-11-30")
    posted = run(capsys, "post", "F2026-000001")
    credited = run(capsys, "credit", "F2026-000001", "--date", "2026-12-01")
    again = run(capsys, "credit", "F2026-000001", "--date", "2026-12-01")
    fec = run(capsys, "fec", "--year", "2026", "-o", str(tmp_path))

    assert validated[0] == 0 and "F2026-000001 (120.00 TTC)" in validated[1]
    assert posted[0] == 0 and "écriture comptable VE000001" in posted[1]
    assert credited[0] == 0 and credited[1].startswith("AV2026-000001 : avoir sur F2026-000001")
    assert again[0] == 2 and "n'a plus rien à créditer" in again[2]
    assert fec[0] == 0 and (tmp_path / f"{firm.siren}FEC20261231.txt").exists()


def test_duplicate_a_pre_invoice_from_the_command_line(capsys, firm):
    f.fixed_fee_part(f.engagement(f.client()), installments=[(date(2026, 11, 30), "100.00")])
    run_pre_billing(period=Period(2026, 11))
    pre = PreInvoice.objects.get()

    copied = run(capsys, "duplicate", str(pre.pk))
    missing = run(capsys, "duplicate", "999999")
    run_pre_billing(period=Period(2026, 11))

    copy = PreInvoice.objects.filter(source="copy").get()
    assert copied[0] == 0 and f"copiée en pré-facture {copy.pk} (120.00 TTC)" in copied[1]
    assert missing[0] == 2 and "aucune pré-facture 999999" in missing[2]
    assert PreInvoice.objects.count() == 2


def test_a_pro_forma_from_the_command_line(capsys, firm):
    engagement = f.engagement(f.client(code="ACME"))
    f.time_part(engagement)
    f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, 2), "2")
    run_pre_billing(period=Period(2026, 11))

    generated = run(capsys, "pro-forma", "generate", "ACME", "--until", "2026-11-30")
    empty = run(capsys, "pro-forma", "generate", "ACME", "--until", "2026-11-30")
    pro_forma = generated[1].split()[2]
    shown = run(capsys, "pro-forma", "show", pro_forma)
    line = shown[1].splitlines()[1].split()[0]
    changed = run(capsys, "pro-forma", "amount", line, "150")
    bad = run(capsys, "pro-forma", "amount", line, "lots")
    processed = run(capsys, "pro-forma", "process", pro_forma, "--date", "2026-11-30")
    late = run(capsys, "pro-forma", "status", line, "withdrawn")

    assert generated[0] == 0 and "1 ligne(s) ajoutée(s)" in generated[1]
    assert empty[0] == 2 and "ACME" in empty[2]
    assert "200.00" in shown[1] and changed[1] == f"ligne {line} : 150.00 à facturer\n" and bad[0] == 2
    assert processed[0] == 0 and "(180.00 TTC)" in processed[1]
    assert late[0] == 2 and "traitée" in late[2]


def test_the_periodic_billing_wizard_from_the_command_line(capsys, firm):
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.time_part(engagement)
    for day in (2, 3):
        f.time_entry(f.collaborator(hourly="100"), engagement, date(2026, 11, day), "2")
    run_pre_billing(period=Period(2026, 11))

    started = run(capsys, "review", "start", "--from", "2026-11-01", "--to", "2026-11-30", "--client-from", "ACME")
    review = started[1].split()[1].rstrip(":")
    listed = run(capsys, "review", "elements", review)
    first = listed[1].split()[0]
    timed = run(capsys, "review", "time", review, first, "--hours", "1")
    added = run(capsys, "review", "add", review, "--engagement", "P-1", "--date", "2026-11-20", "--article", "CONS",
                "--designation", "Support", "--quantity", "1", "--price", "60")
    held = run(capsys, "review", "move", review, first, "extra")
    blocked = run(capsys, "review", "confirm", review)
    run(capsys, "review", "move", review, first, "not_billed")
    confirmed = run(capsys, "review", "confirm", review)

    assert started[0] == 0 and "2 élément(s) dans le périmètre" in started[1]
    assert len(listed[1].splitlines()) == 2 and "bill_now" in listed[1]
    assert held[0] == 0 and blocked[0] == 2 and "supplément" in blocked[2]
    assert timed[0] == 0 and "1 hour" in timed[1] and added[0] == 0 and "Support 60.00" in added[1]
    assert confirmed[0] == 0 and "ACME 240.00 TTC" in confirmed[1] and "ACME 72.00 TTC" in confirmed[1]


def test_costs_from_the_command_line(capsys, firm, tmp_path):
    from prebill.organisation.models import Organisation

    Organisation.objects.update(expense_article=f.article("FRAIS"))
    engagement = f.engagement(f.client(code="ACME"), "P-1")
    f.fixed_fee_part(engagement, installments=[(date(2026, 11, 30), "1000.00")])
    f.collaborator("ANNE")
    csv_file = tmp_path / "expenses.csv"
    csv_file.write_text("collaborator,client,engagement,date,nature,amount_excluding_vat,amount_including_vat,vat_rate\n"
                        "ANNE,ACME,P-1,2026-11-10,Train,84.50,92.95,10\n", encoding="utf-8")

    imported = run(capsys, "import-costs", "expenses", str(csv_file))
    run_pre_billing(period=Period(2026, 11))
    listed = run(capsys, "costs", "list", "--period", "2026-11")
    item = listed[1].split()[0]
    grouped = run(capsys, "costs", "group", "--period", "2026-11", "ANNE")
    fee = str(BillableItem.objects.get(installment__isnull=False).pk)
    joined = run(capsys, "costs", "join", item, fee)

    assert imported[0] == 0 and "expenses: 1 créé(s)" in imported[1]
    assert "Train" in listed[1] and "84.50" in listed[1]
    assert grouped[1] == "1 coût(s) de ANNE sur une seule facture\n"
    assert joined[0] == 0 and "installment:" in joined[1]

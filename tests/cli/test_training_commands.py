"""`prebill training`: a training organisation's clerk lists sessions, marks them done, invoices by hand."""

import re
from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import PreInvoice
from prebill.cli.commands import dispatch
from prebill.clients.models import Client
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(capsys, *argv) -> tuple[int, str, str]:
    code = dispatch(["training", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def pre_invoice_id(out: str) -> int:
    return int(re.findall(r"pré-facture (\d+)", out)[-1])


@pytest.fixture
def sessions(firm):
    """Two sessions an OPCO funds in full for two sponsors (November, December), one a sponsor pays itself."""
    product = TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                             days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))
    opco = f.client(code="OPCO", training_billing="consolidated")
    alpha, beta = f.client(code="ALPHA"), f.client(code="BETA")

    def session(reference: str, start: date, end: date, sponsors=(alpha, beta), funder=opco) -> TrainingSession:
        row = TrainingSession.objects.create(reference=reference, product=product, start=start, end=end, place="Lyon")
        for sponsor in sponsors:
            Learner.objects.create(session=row, name=f"Apprenant {sponsor.code}", sponsor=sponsor)
            if funder:
                Funding.objects.create(session=row, funder=funder, sponsor=sponsor, percent=Decimal("100"),
                                       file_number=f"DOS-{reference}-{sponsor.code}")
        return row

    return [session("S-NOV", date(2026, 11, 16), date(2026, 11, 17)),
            session("S-DEC", date(2026, 12, 1), date(2026, 12, 1)),
            session("S-SELF", date(2026, 11, 20), date(2026, 11, 20), sponsors=(alpha,), funder=None)]


def test_the_sessions_are_listed_with_product_dates_and_status(capsys, sessions):
    TrainingSession.objects.filter(reference="S-DEC").update(status="ongoing")

    listed = run(capsys, "sessions")
    ongoing = run(capsys, "sessions", "--status", "ongoing")

    assert listed[0] == 0 and listed[1].splitlines() == [
        "S-NOV\tEXCEL-1\tdu 2026-11-16 au 2026-11-17\tplanned",
        "S-SELF\tEXCEL-1\tdu 2026-11-20 au 2026-11-20\tplanned",
        "S-DEC\tEXCEL-1\tdu 2026-12-01 au 2026-12-01\tongoing"]
    assert ongoing[1] == "S-DEC\tEXCEL-1\tdu 2026-12-01 au 2026-12-01\tongoing\n"


def test_done_drafts_once_and_cancel_removes_the_drafts(capsys, sessions):
    done = run(capsys, "done", "S-NOV")
    again = run(capsys, "done", "S-NOV")
    drafts = PreInvoice.objects.filter(client__code="OPCO").count()
    cancelled = run(capsys, "cancel", "S-NOV")
    refused = run(capsys, "done", "S-NOV")

    assert done[0] == 0 and done[1].startswith("session S-NOV terminée : 2 montant(s) à facturer mis en brouillon\n")
    opco_line = done[1].splitlines()[1]
    assert re.fullmatch(r"pré-facture \d+ : OPCO 1 200\.00 TTC", opco_line)
    assert again == (0, "la session S-NOV est déjà terminée : rien n'est remis en brouillon\n", "")
    assert drafts == 1
    assert cancelled == (0, "session S-NOV annulée : ses brouillons sont supprimés\n", "")
    assert not PreInvoice.objects.exists()
    assert refused[0] == 2 and refused[2] == "erreur : La session S-NOV est annulée.\n"


def test_invoice_by_hand_prints_the_pre_invoice(capsys, sessions):
    Client.objects.filter(code="OPCO").update(training_billing="none")
    early = run(capsys, "invoice", "S-NOV", "--client", "OPCO")
    done = run(capsys, "done", "S-NOV")
    assert not PreInvoice.objects.exists()  # no automatic invoicing
    assert done[1].splitlines()[1] == "  facturez-la à la main : prebill training invoice S-NOV --client CODE"

    invoiced = run(capsys, "invoice", "S-NOV", "--client", "OPCO")
    twice = run(capsys, "invoice", "S-NOV", "--client", "OPCO")
    nobody = run(capsys, "invoice", "S-NOV", "--client", "NOBODY")
    owes_nothing = run(capsys, "invoice", "S-NOV", "--client", "ALPHA")

    assert early[0] == 2 and "n'est pas terminée : marquez-la d'abord terminée" in early[2]
    assert invoiced[0] == 0
    pre = PreInvoice.objects.get(pk=pre_invoice_id(invoiced[1]))
    assert pre.client.code == "OPCO" and pre.total_including_vat == Decimal("1200.00")
    assert twice[0] == 2 and "est déjà facturée à" in twice[2]
    assert nobody == (2, "", "erreur : aucun client NOBODY\n")
    assert owes_nothing[0] == 2 and "ne doit rien pour la session S-NOV" in owes_nothing[2]


def test_add_a_session_to_a_consolidated_invoice_and_its_refusals(capsys, sessions):
    run(capsys, "done", "S-SELF")
    run(capsys, "done", "S-DEC")
    november = pre_invoice_id(run(capsys, "done", "S-NOV")[1])  # each "done" rebuilds its month's drafts

    added = run(capsys, "add", "S-DEC", "--to", str(november))
    consolidated = pre_invoice_id(added[1])
    own = run(capsys, "add", "S-SELF", "--to", str(consolidated))
    missing = run(capsys, "add", "S-DEC", "--to", "999999")
    unknown = run(capsys, "add", "S-NOPE", "--to", str(consolidated))

    assert added[0] == 0 and f"la pré-facture {november} est désormais la pré-facture {consolidated}" in added[1]
    pre = PreInvoice.objects.get(pk=consolidated)
    assert pre.client.code == "OPCO" and pre.lines.count() == 4 and pre.total_including_vat == Decimal("2400.00")
    assert not PreInvoice.objects.filter(client__code="OPCO", period=date(2026, 12, 1)).exists()
    assert own[0] == 2 and own[2].startswith("erreur : ") and "ne finance rien dans la session S-SELF" in own[2]
    assert missing == (2, "", "erreur : aucune pré-facture 999999\n")
    assert unknown == (2, "", "erreur : aucune session de formation S-NOPE\n")


def test_the_demo_user_marks_the_ongoing_session_done_and_the_opco_gets_one_draft(capsys):
    demo = dispatch(["demo", "--clients", "6", "--time-entries", "30"])
    capsys.readouterr()

    listed = run(capsys, "sessions")
    (ongoing,) = run(capsys, "sessions", "--status", "ongoing")[1].splitlines()
    done = run(capsys, "done", ongoing.split("\t")[0])

    assert demo == 0 and len(listed[1].splitlines()) == 5 and "done" not in listed[1]
    assert done[0] == 0
    funder = PreInvoice.objects.get(client__code="OPCO")
    assert funder.vat_regime == "exempt" and funder.lines.count() == 2
    assert f"pré-facture {funder.pk} : OPCO" in done[1]

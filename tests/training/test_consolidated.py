"""A funder's consolidated invoice: its sessions, its description lines, adding another session, invoicing by hand."""

from datetime import date
from decimal import Decimal

import pytest

from prebill.billing.models import PreInvoice
from prebill.clients.models import Client
from prebill.training import selectors, services
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession
from tests import factories as f

pytestmark = pytest.mark.django_db


def make_session(reference, product, sponsors, funder=None, percent=Decimal("100"), end=date(2026, 11, 17)):
    session = TrainingSession.objects.create(reference=reference, product=product, start=end, end=end, place="Lyon")
    for code, learners in sponsors:
        sponsor = Client.objects.filter(code=code).first() or f.client(code=code)
        for n in range(learners):
            Learner.objects.create(session=session, name=f"{code} learner {n}", sponsor=sponsor)
        if funder is not None:
            Funding.objects.create(session=session, funder=funder, sponsor=sponsor, percent=percent,
                                   file_number=f"DOS-{reference}-{code}")
    return session


@pytest.fixture
def product(firm):
    return TrainingProduct.objects.create(reference="EXCEL-1", label="Excel avancé", hours=Decimal("14"),
                                          days=Decimal("2"), price=Decimal("600.00"), article=f.article("FORM"))


@pytest.fixture
def opco(firm):
    return f.client(code="OPCO", training_billing="consolidated")


def consolidated(client_code="OPCO") -> PreInvoice:
    return PreInvoice.objects.get(client__code=client_code)


def test_the_consolidated_invoice_lists_its_sessions_and_describes_each_funding(product, opco):
    session = make_session("S-1", product, [("ALPHA", 2), ("BETA", 1)], funder=opco, percent=Decimal("80"))
    TrainingSession.objects.filter(pk=session.pk).update(discount_percent=Decimal("10"))
    services.mark_done(session_id=session.pk)
    charges = list(selectors.charges_on(consolidated()))

    linked = selectors.linked_sessions(charges)
    lines = selectors.training_lines(charges)

    assert [(s.session.reference, s.session.product.reference, [c.name for c in s.sponsors]) for s in linked] == [
        ("S-1", "EXCEL-1", [Client.objects.get(code="ALPHA").name, Client.objects.get(code="BETA").name])]
    alpha = lines[0]
    # 2 learners × 600.00 − 10 % = 1,080.00; the funder's 80 % = 864.00 (exempt: incl. VAT is the same)
    assert (alpha.charge.learners, alpha.billing_unit, alpha.charge.unit_price, alpha.charge.discount_percent,
            alpha.charge.session_total, alpha.total_including_vat, alpha.charge.amount, alpha.share_including_vat) == (
        2, "apprenant", Decimal("600.00"), Decimal("10.00"), Decimal("1080.00"), Decimal("1080.00"),
        Decimal("864.00"), Decimal("864.00"))
    assert consolidated().total_excluding_vat == Decimal("864.00") + Decimal("432.00")
    assert PreInvoice.objects.get(client__code="ALPHA").total_excluding_vat == Decimal("216.00")


def test_vat_is_shown_per_line_for_training_subject_to_vat(product, opco):
    TrainingProduct.objects.filter(pk=product.pk).update(vat_exempt=False)
    session = make_session("S-1", product, [("ALPHA", 1)], funder=opco, percent=Decimal("50"))
    services.mark_done(session_id=session.pk)

    line = selectors.training_lines(list(selectors.charges_on(consolidated())))[0]

    assert (line.vat_rate, line.total_including_vat, line.share_including_vat) == (
        Decimal("20.00"), Decimal("720.00"), Decimal("360.00"))


def test_another_session_funded_by_the_same_client_joins_the_consolidated_invoice(product, opco):
    first = make_session("S-1", product, [("ALPHA", 1)], funder=opco)
    later = make_session("S-2", product, [("BETA", 2)], funder=opco, end=date(2026, 12, 1))
    services.mark_done(session_id=first.pk)
    services.mark_done(session_id=later.pk)  # December: its own draft for now
    assert PreInvoice.objects.filter(client=opco).count() == 2

    joined = services.add_session(pre_invoice_id=consolidated_of(opco, 11).pk, session_id=later.pk)

    assert PreInvoice.objects.filter(client=opco).count() == 1
    assert joined.total_excluding_vat == Decimal("600.00") + Decimal("1200.00")
    assert [s.session.reference for s in selectors.linked_sessions(list(selectors.charges_on(joined)))] == [
        "S-1", "S-2"]
    with pytest.raises(services.SessionRefused, match="déjà sur cette facture"):
        services.add_session(pre_invoice_id=joined.pk, session_id=later.pk)


def consolidated_of(client, month) -> PreInvoice:
    return PreInvoice.objects.get(client=client, period=date(2026, month, 1))


def test_adding_a_session_the_client_funds_nothing_in_is_refused_and_changes_nothing(product, opco):
    first = make_session("S-1", product, [("ALPHA", 1)], funder=opco)
    other_funder = f.client(code="AKTO", training_billing="consolidated")
    elsewhere = make_session("S-3", product, [("GAMMA", 1)], funder=other_funder)
    not_done = make_session("S-4", product, [("DELTA", 1)], funder=opco)
    services.mark_done(session_id=first.pk)
    services.mark_done(session_id=elsewhere.pk)
    pre = consolidated()

    with pytest.raises(services.SessionRefused, match="ne finance rien dans la session S-3"):
        services.add_session(pre_invoice_id=pre.pk, session_id=elsewhere.pk)
    with pytest.raises(services.SessionRefused, match="S-4 n'est pas terminée"):
        services.add_session(pre_invoice_id=pre.pk, session_id=not_done.pk)
    akto_draft = PreInvoice.objects.get(client__code="AKTO")
    with pytest.raises(services.SessionRefused, match="ne finance rien dans la session S-1"):
        services.add_session(pre_invoice_id=akto_draft.pk, session_id=first.pk)

    assert consolidated().total_excluding_vat == Decimal("600.00")
    assert [s.reference for s in selectors.sessions_to_add(consolidated())] == []


def test_a_sponsors_own_draft_is_not_a_consolidated_invoice(product, opco):
    session = make_session("S-1", product, [("ALPHA", 1)], funder=opco, percent=Decimal("50"))
    other = make_session("S-2", product, [("BETA", 1)], funder=opco)
    services.mark_done(session_id=session.pk)
    TrainingSession.objects.filter(pk=other.pk).update(status="done")

    with pytest.raises(services.SessionRefused, match="pas une facture de formation regroupée"):
        services.add_session(pre_invoice_id=PreInvoice.objects.get(client__code="ALPHA").pk, session_id=other.pk)


def test_no_automatic_invoicing_drafts_nothing_until_invoiced_by_hand(product, opco):
    Client.objects.filter(pk=opco.pk).update(training_billing="none")
    alpha = f.client(code="ALPHA", training_billing="none")
    first = make_session("S-1", product, [("ALPHA", 1)], funder=opco, percent=Decimal("75"))
    second = make_session("S-2", product, [("ALPHA", 1)], funder=opco)
    for session in (first, second):
        assert services.mark_done(session_id=session.pk) == 0
    assert not PreInvoice.objects.exists()

    services.invoice_by_hand(session_id=first.pk, client_id=opco.pk)
    pre = services.invoice_by_hand(session_id=second.pk, client_id=opco.pk)
    remainder = services.invoice_by_hand(session_id=first.pk, client_id=alpha.pk)

    assert (pre.client, pre.total_excluding_vat) == (opco, Decimal("450.00") + Decimal("600.00"))
    assert (remainder.client, remainder.total_excluding_vat) == (alpha, Decimal("150.00"))
    with pytest.raises(services.SessionRefused, match="déjà facturée"):
        services.invoice_by_hand(session_id=first.pk, client_id=opco.pk)
    with pytest.raises(services.SessionRefused, match="ne doit rien"):
        services.invoice_by_hand(session_id=second.pk, client_id=alpha.pk)


def test_a_group_price_is_shared_by_learners_to_the_cent(product, opco):
    TrainingProduct.objects.filter(pk=product.pk).update(basis="per_group", price=Decimal("1000.00"))
    session = make_session("S-1", product, [("ALPHA", 1), ("BETA", 1), ("GAMMA", 1)], funder=opco)
    product.refresh_from_db()

    owed = services.what_is_owed(session)

    assert sorted(o.amount for o in owed) == [Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert sum(o.amount for o in owed) == Decimal("1000.00")


def test_entries_are_checked_and_nothing_is_saved_when_one_is_wrong(product, opco):
    alpha = f.client(code="ALPHA")
    with pytest.raises(services.EntryRefused, match=r"fundings\[0\]\.sponsor"):
        services.save_session(reference="S-9", product=product, start=date(2026, 11, 2), end=date(2026, 11, 3),
                              learners=[services.LearnerEntry("Ann", alpha)],
                              fundings=[services.FundingEntry(opco, opco, percent=Decimal("50"))])
    with pytest.raises(services.EntryRefused, match=r"fundings\[1\]\.percent: .*dépassent 100"):
        services.save_session(reference="S-9", product=product, start=date(2026, 11, 2), end=date(2026, 11, 3),
                              learners=[services.LearnerEntry("Ann", alpha)],
                              fundings=[services.FundingEntry(opco, alpha, percent=Decimal("60")),
                                        services.FundingEntry(opco, alpha, percent=Decimal("50"))])
    with pytest.raises(services.EntryRefused, match=r"fundings\[0\]\.funder: un commanditaire ne se finance pas lui-même"):
        services.save_session(reference="S-9", product=product, start=date(2026, 11, 2), end=date(2026, 11, 3),
                              learners=[services.LearnerEntry("Ann", alpha)],
                              fundings=[services.FundingEntry(alpha, alpha, percent=Decimal("50"))])
    assert not TrainingSession.objects.filter(reference="S-9").exists()


def test_the_funders_invoice_document_details_each_funding(product, opco):
    import io

    from pypdf import PdfReader

    from prebill.documents.pdf import invoice_pdf
    from prebill.invoicing.services import validate_pre_invoice

    session = make_session("S-1", product, [("ALPHA", 2)], funder=opco, percent=Decimal("50"))
    trainer = f.collaborator(code="MD")
    trainer.name = "Marie Durand"
    trainer.save()
    TrainingSession.objects.filter(pk=session.pk).update(trainer=trainer, start=date(2026, 11, 16))
    services.mark_done(session_id=session.pk)
    invoice = validate_pre_invoice(pre_invoice_id=consolidated().pk, issue_date=date(2026, 11, 30))

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(invoice_pdf(invoice))).pages).split())

    alpha = Client.objects.get(code="ALPHA").name
    assert "Détail des formations" in text
    assert f"S-1 Excel avancé {alpha} 2 apprenant 600,00 € 0 % 1 200,00 € 1 200,00 € 600,00 € 600,00 €" in text
    assert (f"S-1 — Excel avancé (EXCEL-1) · durée 14 h / 2 j · du 16/11/2026 au 17/11/2026 · lieu : Lyon "
            "· formateur : Marie Durand · dossier de prise en charge n° DOS-S-1-ALPHA "
            f"· commanditaire : {alpha} · apprenants (2) : ALPHA learner 0, ALPHA learner 1 "
            "· unité : apprenant · total de la session : 1 200,00 €") in text


def test_the_training_details_stay_inside_the_page_margins(product, opco, firm):
    import pypdfium2

    from prebill.documents.pdf import invoice_pdf
    from prebill.invoicing.services import validate_pre_invoice

    TrainingProduct.objects.filter(pk=product.pk).update(price=Decimal("12345.00"))
    session = make_session("S-1", product, [("ALPHA", 9)], funder=opco, percent=Decimal("50"))
    services.mark_done(session_id=session.pk)
    invoice = validate_pre_invoice(pre_invoice_id=consolidated().pk, issue_date=date(2026, 11, 30))

    page = pypdfium2.PdfDocument(invoice_pdf(invoice))[0]
    image = page.render(scale=2).to_pil().convert("L")
    margin = round(image.size[0] * 12 / 210)  # the page's right margin is 16 mm: nothing within 12 mm of the edge
    right = image.crop((image.size[0] - margin, 0, image.size[0], image.size[1]))

    assert sum(right.histogram()[:200]) == 0  # 9 × 12,345.00 = 111,105.00: the widest amounts still fit


def test_a_funding_per_learner_pays_its_amount_for_each_learner(product, opco):
    session = make_session("S-1", product, [("ALPHA", 3)])
    Funding.objects.create(session=session, funder=opco, sponsor=Client.objects.get(code="ALPHA"),
                           amount=Decimal("150.00"), per_learner=True)

    owed = {(o.client.code, o.funded): o.amount for o in services.what_is_owed(session)}

    assert owed == {("OPCO", True): Decimal("450.00"), ("ALPHA", False): Decimal("1350.00")}


def test_training_keeps_to_its_clients_own_engagement_whatever_the_codes(product, opco):
    from prebill.engagements.models import Engagement

    stranger = f.client(code="OTHER")
    Engagement.objects.create(code="FORM-OPCO", client=stranger, label="Formation ailleurs")
    session = make_session("S-1", product, [("ALPHA", 1)], funder=opco)

    services.mark_done(session_id=session.pk)

    assert consolidated().total_excluding_vat == Decimal("600.00")
    assert not PreInvoice.objects.filter(client=stranger).exists()


def test_a_session_on_a_confirmed_review_is_neither_cancelled_nor_moved(product, opco):
    from prebill.billing.context import PortfolioContext
    from prebill.billing.drafts import groupable_items, save_kept_drafts
    from prebill.billing.models import BillableItem
    from prebill.core.grouping import group_items
    from prebill.core.periods import Period

    first = make_session("S-1", product, [("ALPHA", 1)], funder=opco)
    kept = make_session("S-2", product, [("BETA", 1)], funder=opco, end=date(2026, 12, 1))
    services.mark_done(session_id=first.pk)
    services.mark_done(session_id=kept.pk)
    items = BillableItem.objects.filter(training_charge__session=kept)
    save_kept_drafts(group_items(groupable_items(items, PortfolioContext.load())), period=Period(2026, 12),
                     source=PreInvoice.Source.REVIEW, origin="review 1")

    with pytest.raises(services.SessionRefused, match="arbitrage confirmé"):
        services.cancel(session_id=kept.pk)
    with pytest.raises(services.SessionRefused, match="arbitrage confirmé"):
        services.add_session(pre_invoice_id=consolidated_of(opco, 11).pk, session_id=kept.pk)

    assert items.get().period == date(2026, 12, 1) and TrainingSession.objects.get(pk=kept.pk).status == "done"

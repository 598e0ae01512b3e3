"""A clerk marks a training session done, opens the funder's consolidated draft and adds another session to it."""

from datetime import date
from decimal import Decimal

from playwright.sync_api import expect

from prebill.catalogue.models import Article
from prebill.clients.models import Client
from prebill.training import services
from prebill.training.models import Funding, Learner, TrainingProduct, TrainingSession

from .conftest import confirm, log_in


def test_mark_a_session_done_and_open_its_consolidated_draft(page, demo, unfreeze_after):
    sponsors = list(Client.objects.order_by("code")[:2])
    funder = Client.objects.order_by("code")[5]
    funder.training_billing = "consolidated"
    funder.save()
    product = TrainingProduct.objects.create(reference="PAIE-TEST", label="La paie pas à pas", hours=Decimal("7"),
                                             days=Decimal("1"), price=Decimal("450.00"),
                                             article=Article.objects.order_by("pk").first())
    session = TrainingSession.objects.create(reference="S-TEST-11", product=product, start=date(2026, 11, 19),
                                             end=date(2026, 11, 19), place="Lyon")
    december = TrainingSession.objects.create(reference="S-TEST-12", product=product, start=date(2026, 12, 1),
                                              end=date(2026, 12, 1), place="Paris")
    for sponsor in sponsors:
        Learner.objects.create(session=session, name=f"Apprenant {sponsor.code}", sponsor=sponsor)
        Funding.objects.create(session=session, funder=funder, sponsor=sponsor, percent=Decimal("100"),
                               file_number=f"PEC-{sponsor.code}")
    Learner.objects.create(session=december, name="Apprenant décembre", sponsor=sponsors[0])
    Funding.objects.create(session=december, funder=funder, sponsor=sponsors[0], percent=Decimal("50"),
                           file_number="PEC-DEC")
    services.mark_done(session_id=december.pk)
    log_in(page)

    page.click("nav a[href='/training/']")
    page.click(f"text={session.reference}")
    page.click("[data-test=done]")
    confirm(page, says="facturables")
    expect(page.locator("[data-test=status]")).to_have_text("terminée")
    drafts = page.locator("[data-test=draft]")
    expect(drafts).to_have_count(1)
    drafts.first.click()

    expect(page.locator("h1")).to_contain_text(funder.name)
    lines = page.locator("table.lines").first.locator("tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.first).to_contain_text("S-TEST-11")
    expect(page.locator("table.lines tfoot")).to_contain_text("900,00")
    expect(page.locator("[data-test=training-sessions]")).to_contain_text(sponsors[1].name)

    page.fill("[data-test=add-session] input[name=session]", "S-TEST-12")
    page.click("[data-test=add-session] button")

    expect(page.locator("[data-test=training-sessions] tbody tr")).to_have_count(2)
    expect(page.locator("[data-test=training-lines]")).to_contain_text("225,00")  # half of one learner
    expect(page.locator("table.lines tfoot").first).to_contain_text("1 125,00")

"""Reordering lines and typing designations: only with the 'special actions' permission, kept by runs."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from prebill.audit.models import AuditEvent
from prebill.billing import services
from prebill.billing.models import PreInvoice
from prebill.billing.services import run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def three_lines(org):
    client = f.client()
    engagement = f.engagement(client)
    f.time_part(engagement)
    worker = f.collaborator()
    for day in (2, 3, 4):
        f.time_entry(worker, engagement, date(2026, 11, day), "1")
    run_pre_billing(period=NOV)
    return client


def lines(client):
    return list(PreInvoice.objects.get(client=client).lines.order_by("position"))


@pytest.fixture
def special(user_with):
    user = user_with("preparer", username="chief")
    user.user_permissions.add(Permission.objects.get(codename="special_actions"))
    return user


def test_special_actions_are_refused_without_the_permission(three_lines, user_with, client):
    clerk = user_with("preparer")
    first = lines(three_lines)[0]
    client.force_login(clerk)

    with pytest.raises(services.SpecialActionRefused, match="actions spéciales"):
        services.replace_designation(line_id=first.pk, text="Mission de conseil", user=clerk)
    page = client.post(f"/billing/lines/{first.pk}/designation/", {"designation": "x"}, follow=True)

    assert "Seuls les utilisateurs ayant la permission « actions spéciales »" in page.content.decode()
    assert lines(three_lines)[0].designation_override == ""


def test_typed_designations_and_the_order_survive_a_new_run(three_lines, special):
    first, second, third = lines(three_lines)

    services.replace_designation(line_id=second.pk, text="Conseil stratégique", user=special)
    services.reorder_lines(pre_invoice_id=first.pre_invoice_id, line_ids=[third.pk, first.pk, second.pk], user=special)
    run_pre_billing(period=NOV)

    after = lines(three_lines)
    assert [line.line_key for line in after] == [third.line_key, first.line_key, second.line_key]
    assert after[2].designation_override == "Conseil stratégique"
    assert AuditEvent.objects.filter(action__in=["replace_designation", "reorder_lines"]).count() == 2


def test_moving_a_line_up_from_the_page(three_lines, special, client):
    client.force_login(special)
    first, second, _ = lines(three_lines)

    client.post(f"/billing/pre-invoices/{second.pre_invoice_id}/lines/move/", {"up": second.pk})

    assert [line.pk for line in lines(three_lines)[:2]] == [second.pk, first.pk]

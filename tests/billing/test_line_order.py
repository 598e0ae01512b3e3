"""The order of a pre-invoice's lines: moved up, down, or given whole; the page and the PDF show the same."""

import re
from datetime import date

import pypdfium2
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from prebill.audit.models import AuditEvent
from prebill.billing.models import PreInvoice
from prebill.billing.services import EditRefused, reorder_lines, run_pre_billing
from prebill.core.periods import Period
from tests import factories as f

pytestmark = pytest.mark.django_db
NOV = Period(2026, 11)


@pytest.fixture
def four_lines(org):
    """A pre-invoice of four time lines, each worded apart (one entry a day: its date is in the designation)."""
    engagement = f.engagement(f.client())
    f.time_part(engagement)
    worker = f.collaborator()
    for day in (2, 3, 4, 5):
        f.time_entry(worker, engagement, date(2026, 11, day), "1")
    run_pre_billing(period=NOV)
    return PreInvoice.objects.get()


@pytest.fixture
def chief(user_with, client):
    user = user_with("preparer", username="chief")
    user.user_permissions.add(Permission.objects.get(codename="special_actions"))
    client.force_login(user)
    return user


def stored(document: PreInvoice) -> list[int]:
    return list(document.lines.order_by("position").values_list("pk", flat=True))


def on_the_page(client, document: PreInvoice) -> list[int]:
    html = client.get(reverse("billing:pre_invoice", args=[document.pk])).content.decode()
    return [int(pk) for pk in re.findall(r'<tr data-line="(\d+)"', html)]


def in_the_pdf(client, document: PreInvoice) -> list[int]:
    """The lines in the order the draft PDF prints their designations."""
    pdf = pypdfium2.PdfDocument(client.get(reverse("documents:pre_invoice_pdf", args=[document.pk])).content)
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    text = re.sub(r"\s+", " ", text)
    places = {line.pk: text.find(re.sub(r"\s+", " ", str(line))) for line in document.lines.all()}
    assert all(place >= 0 for place in places.values()), (places, text)
    return sorted(places, key=places.get)


def test_after_a_move_up_the_page_and_the_pdf_show_the_stored_order(four_lines, chief, client):
    first, second, third, fourth = stored(four_lines)
    assert len({str(line) for line in four_lines.lines.all()}) == 4  # worded apart, so found apart in the PDF

    client.post(reverse("billing:move_line", args=[four_lines.pk]), {"up": third, "version": four_lines.version})

    assert stored(four_lines) == [first, third, second, fourth]
    assert on_the_page(client, four_lines) == [first, third, second, fourth]
    assert in_the_pdf(client, four_lines) == [first, third, second, fourth]
    assert list(four_lines.lines.order_by("position").values_list("position", flat=True)) == [1, 2, 3, 4]


def test_move_down_and_the_ends_stay_put(four_lines, chief, client):
    first, second, third, fourth = stored(four_lines)

    move = reverse("billing:move_line", args=[four_lines.pk])  # the page's one form for every line's arrows
    response = client.post(move, {"down": first})
    client.post(move, {"down": fourth})  # the last line has nowhere to go
    client.post(move, {"up": second})  # now first: stays

    assert response["Location"].endswith(f"#line-{first}")  # back to the line that moved
    assert stored(four_lines) == [second, first, third, fourth]
    assert on_the_page(client, four_lines) == [second, first, third, fourth]


def test_the_whole_order_in_one_post_is_renumbered_and_audited(four_lines, chief, client):
    first, second, third, fourth = stored(four_lines)
    version = four_lines.version

    response = client.post(reverse("billing:reorder_lines", args=[four_lines.pk]),
                           {"line": [fourth, first, third, second], "version": version, "moved": fourth})

    assert response["Location"] == reverse("billing:pre_invoice", args=[four_lines.pk]) + f"#line-{fourth}"
    assert stored(four_lines) == [fourth, first, third, second]
    assert on_the_page(client, four_lines) == in_the_pdf(client, four_lines) == [fourth, first, third, second]
    four_lines.refresh_from_db()
    assert four_lines.version == version + 1
    assert AuditEvent.objects.get(action="reorder_lines").after == {"order": [fourth, first, third, second]}
    # The next run keeps it.
    run_pre_billing(period=NOV)
    assert [line.designation for line in four_lines.lines.order_by("position")] == [
        line.designation for line in PreInvoice.objects.get().lines.order_by("position")]
    assert on_the_page(client, four_lines) == stored(four_lines)


def test_an_order_on_a_version_no_longer_shown_is_refused(four_lines, chief, client):
    first, second, third, fourth = stored(four_lines)
    reorder_lines(pre_invoice_id=four_lines.pk, line_ids=[second, first, third, fourth], user=chief)

    with pytest.raises(EditRefused, match=rf"version {four_lines.version}\D+{four_lines.version + 1}\)"):
        reorder_lines(pre_invoice_id=four_lines.pk, line_ids=[fourth, third, second, first], user=chief,
                      expected_version=four_lines.version)
    page = client.post(reverse("billing:reorder_lines", args=[four_lines.pk]),
                       {"line": [fourth, third, second, first], "version": four_lines.version},
                       HTTP_REFERER=reverse("billing:pre_invoice", args=[four_lines.pk]), follow=True)

    assert 'class="error"' in page.content.decode()
    assert stored(four_lines) == [second, first, third, fourth]


def test_an_order_that_forgets_a_line_is_refused(four_lines, chief, client):
    before = stored(four_lines)

    client.post(reverse("billing:reorder_lines", args=[four_lines.pk]),
                {"line": before[:3][::-1], "version": four_lines.version})

    assert stored(four_lines) == before


def test_reordering_needs_the_special_actions_permission(four_lines, user_with, client):
    client.force_login(user_with("preparer"))
    before = stored(four_lines)

    client.post(reverse("billing:reorder_lines", args=[four_lines.pk]), {"line": before[::-1]})
    client.post(reverse("billing:move_line", args=[four_lines.pk]), {"down": before[0]})

    assert stored(four_lines) == before
    assert 'data-test="drag"' not in client.get(reverse("billing:pre_invoice", args=[four_lines.pk])).content.decode()

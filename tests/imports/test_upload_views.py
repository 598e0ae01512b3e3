"""Imports by upload: the same all-or-nothing checks as the command line, shown on the page."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prebill.activity.models import TimeEntry
from prebill.clients.models import Client

from .sample import portfolio

pytestmark = pytest.mark.django_db


def upload(client, kind, name, content: bytes):
    return client.post("/imports/", {"kind": kind, "file": SimpleUploadedFile(name, content)})


@pytest.fixture
def preparer(client, user_with):
    client.force_login(user_with("preparer"))
    return client


def test_a_portfolio_upload_imports_it(preparer):
    response = upload(preparer, "portfolio", "firm.json", json.dumps(portfolio()).encode())

    assert response.status_code == 200 and response.context["counts"]["clients"]["created"] == 1
    assert Client.objects.filter(code="C0001").exists()


def test_a_bad_timesheet_shows_its_line_numbered_problems_and_imports_nothing(preparer):
    upload(preparer, "portfolio", "firm.json", json.dumps(portfolio()).encode())
    csv = b"id,date,collaborator,engagement,hours\nX1,2026-11-02,JDU,E0001-TEN,2\nX2,2026-11-31,JDU,E0001-TEN,2\n"

    response = upload(preparer, "time", "hours.csv", csv)

    assert response.status_code == 422
    assert response.context["problems"] == ["ligne 3, colonne date : date 2026-11-31 n'est pas une date du calendrier"]
    assert not TimeEntry.objects.filter(external_id="X1").exists()


def test_files_of_the_wrong_kind_size_or_content_are_refused(preparer, settings):
    settings.PREBILL_IMPORT_MAX_BYTES = 1024 * 1024

    too_big = upload(preparer, "metrics", "m.csv", b"client,metric,period,quantity\n" + b"x" * 2 * 1024 * 1024)
    wrong_type = upload(preparer, "time", "hours.pdf", b"%PDF-1.4")
    not_a_workbook = upload(preparer, "time", "hours.xlsx", b"PK\x03\x04")
    disguised = upload(preparer, "time", "hours.csv", b"PK\x03\x04\x00\x00binary")
    binary = upload(preparer, "time", "hours.csv", b"id\x00\x01\x02")

    assert too_big.context["problems"] == ["m.csv : le fichier fait 2 Mo, plus que les 1 Mo qu'accepte un import : "
                                           "découpez-le"]
    assert "un fichier .csv ou .xlsx est attendu" in wrong_type.context["problems"][0]
    assert "n'est pas un classeur Excel (.xlsx)" in not_a_workbook.context["problems"][0]
    assert "classeur Excel ? Nommez-le .xlsx" in disguised.context["problems"][0]
    assert "n'est pas du texte" in binary.context["problems"][0]
    assert {r.status_code for r in (too_big, wrong_type, not_a_workbook, disguised, binary)} == {422}


def test_a_reader_may_not_upload(client, user_with):
    client.force_login(user_with("validator"))

    assert upload(client, "time", "hours.csv", b"id\n").status_code == 403

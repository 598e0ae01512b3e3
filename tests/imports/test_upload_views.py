"""Imports by upload: the same all-or-nothing checks as the command line, shown on the page."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prebill.activity.models import TimeEntry
from prebill.clients.models import Client
from prebill.imports import uploads

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
    assert response.context["problems"] == ["line 3, column date : date 2026-11-31 n'est pas une date du calendrier"]
    assert not TimeEntry.objects.filter(external_id="X1").exists()


def test_files_of_the_wrong_kind_size_or_content_are_refused(preparer, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_BYTES", 10)

    too_big = upload(preparer, "metrics", "m.csv", b"client,metric,period,quantity\n")
    monkeypatch.setattr(uploads, "MAX_BYTES", 50 * 1024 * 1024)
    wrong_type = upload(preparer, "time", "hours.xlsx", b"PK\x03\x04")
    disguised = upload(preparer, "time", "hours.csv", b"PK\x03\x04\x00\x00binary")
    not_utf8 = upload(preparer, "time", "hours.csv",
                      "id,date,collaborator,engagement,hours\nT1,2026-11-02,Jérôme,E1,1\n".encode("latin-1"))

    assert "le fichier dépasse 0 Mo" in too_big.context["problems"][0]
    assert "un fichier .csv est attendu" in wrong_type.context["problems"][0]
    assert "n'est pas du texte" in disguised.context["problems"][0]
    assert "UTF-8" in " ".join(not_utf8.context["problems"])


def test_a_reader_may_not_upload(client, user_with):
    client.force_login(user_with("validator"))

    assert upload(client, "time", "hours.csv", b"id\n").status_code == 403

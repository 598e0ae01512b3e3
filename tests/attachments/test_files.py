"""Proofs: type and size checked on the content, stored under generated names, served only to allowed users."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from prebill.attachments import services
from prebill.attachments.models import Attachment
from tests import factories as f

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def store_dir(settings, tmp_path):
    settings.PREBILL_FILES_DIR = tmp_path / "files"
    return settings.PREBILL_FILES_DIR


def test_a_proof_is_kept_under_a_generated_name(store_dir, org):
    client = f.client()

    kept = services.store(SimpleUploadedFile("../../etc/receipt.png", PNG), client_id=client.pk)

    assert kept.original_name == "receipt.png" and kept.content_type == "image/png" and kept.size == len(PNG)
    assert kept.stored_name != kept.original_name and (store_dir / kept.stored_name).read_bytes() == PNG
    assert list(store_dir.iterdir()) == [store_dir / kept.stored_name]


def test_a_disguised_or_oversized_file_is_refused_and_nothing_is_kept(store_dir, org, monkeypatch):
    client = f.client()

    with pytest.raises(services.FileRefused, match="PDF, PNG"):
        services.store(SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 this is a program"), client_id=client.pk)
    monkeypatch.setattr(services, "MAX_BYTES", 1024)
    with pytest.raises(services.FileRefused, match="le fichier dépasse"):
        services.store(SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2000), client_id=client.pk)

    assert not Attachment.objects.exists()
    assert not store_dir.exists() or not list(store_dir.iterdir())


def test_a_file_is_served_only_to_users_allowed_to_see_the_client(client, user_with, store_dir, org):
    kept = services.store(SimpleUploadedFile("receipt.png", PNG), client_id=f.client().pk)
    url = f"/files/{kept.pk}/"

    anonymous = client.get(url)
    client.force_login(user_with())
    no_role = client.get(url)
    client.force_login(user_with("collections", username="colette"))
    allowed = client.get(url)

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert no_role.status_code == 403
    assert allowed.status_code == 200 and b"".join(allowed.streaming_content) == PNG
    assert allowed["Content-Type"] == "image/png" and allowed["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="receipt.png"' in allowed["Content-Disposition"]

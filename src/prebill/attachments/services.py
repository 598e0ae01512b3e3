"""Storing and reading proofs: type and size checked on the content, generated names, access by client."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext

from prebill.accounts.roles import SEE_PORTFOLIO, acting_user, has_role
from prebill.core.refusals import Refusal

from .models import Attachment

MAX_BYTES = 10 * 1024 * 1024

# What a file is, read from its first bytes (never from its name or the browser's word).
SIGNATURES = ((b"%PDF-", "application/pdf", ".pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
              (b"\xff\xd8\xff", "image/jpeg", ".jpg"))


class FileRefused(Refusal, ValueError):
    """The file is not kept; the message says why."""


def files_dir() -> Path:
    return Path(settings.PREBILL_FILES_DIR)


def sniff(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, suffix in SIGNATURES:
        if head.startswith(magic):
            return content_type, suffix
    return None


def store(upload: UploadedFile, *, client_id: int, user=None) -> Attachment:
    """Keep an uploaded proof of a client: a PDF, PNG or JPEG of at most 10 MB, under a generated name."""
    name = os.path.basename(upload.name or "file")[:255]
    if upload.size is not None and upload.size > MAX_BYTES:
        raise FileRefused(gettext("%(name)s: the file is larger than %(mb)s MB.")
                          % {"name": name, "mb": MAX_BYTES // 1024 // 1024})
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise FileRefused(gettext("%(name)s: only PDF, PNG and JPEG files are kept (its content is none of them).")
                          % {"name": name})
    content_type, suffix = kind
    directory = files_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{suffix}"
    digest, size = hashlib.sha256(), 0
    path = directory / stored
    try:
        with open(path, "xb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FileRefused(gettext("%(name)s: the file is larger than %(mb)s MB.")
                                      % {"name": name, "mb": MAX_BYTES // 1024 // 1024})

                digest.update(chunk)
                out.write(chunk)
    except FileRefused:
        path.unlink(missing_ok=True)
        raise
    return Attachment.objects.create(
        client_id=client_id, original_name=name, stored_name=stored, content_type=content_type, size=size,
        sha256=digest.hexdigest(), uploaded_by=acting_user(user))


def may_see(user, attachment: Attachment) -> bool:
    """Users who may see the client see its proofs (prebill's roles cover the whole portfolio)."""
    return has_role(user, SEE_PORTFOLIO)


def path_of(attachment: Attachment) -> Path:
    path = (files_dir() / attachment.stored_name).resolve()
    if path.parent != files_dir().resolve():  # a stored name never leaves the directory
        raise FileRefused(gettext("Not a stored file."))

    return path

"""Uploaded import files: checked (size, type, content), kept only while the import reads them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from prebill.core.refusals import gettext_noop

from .activity import import_metrics_csv, import_time_csv
from .costs import import_costs_csv
from .portfolio import import_portfolio, load_portfolio_file
from .problems import ImportRejected, Problem

MAX_BYTES = 50 * 1024 * 1024
KINDS: dict[str, tuple[str, Callable[[Path], dict]]] = {
    "portfolio": (".json", lambda path: import_portfolio(load_portfolio_file(path), source=path.name)),
    "time": (".csv", lambda path: {"time_entries": import_time_csv(path)}),
    "metrics": (".csv", lambda path: {"unit_metrics": import_metrics_csv(path)}),
    **{kind: (".csv", lambda path, kind=kind: {kind: import_costs_csv(kind, path)})
       for kind in ("expenses", "purchases", "overtime")},
}


def import_upload(kind: str, upload: UploadedFile) -> dict[str, dict[str, int]]:
    """Import an uploaded file of `kind`; raises ImportRejected (nothing written) when it is not acceptable."""
    suffix, run_import = KINDS[kind]
    name = os.path.basename(upload.name or "")
    if upload.size > MAX_BYTES:
        raise ImportRejected(name, [Problem(name, gettext_noop("the file is larger than %(size)s MB"),
                                            size=MAX_BYTES // 1024 // 1024)])
    if not name.lower().endswith(suffix):
        raise ImportRejected(name, [Problem(name, gettext_noop("a %(suffix)s file is expected"), suffix=suffix)])
    head = upload.read(4096)
    upload.seek(0)
    if b"\x00" in head:
        raise ImportRejected(name, [Problem(name, gettext_noop("the file is not text (binary content)"))])
    # Never the uploaded name on disk: a private temporary file, removed whatever happens.
    handle, temporary = tempfile.mkstemp(prefix="prebill-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        return run_import(Path(temporary))
    finally:
        os.unlink(temporary)

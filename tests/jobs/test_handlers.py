"""A worker knows every kind of job once Django is set up: it runs jobs without ever loading a page or the API."""

import os
import re
import subprocess
import sys
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[2] / "src" / "prebill"


def test_a_worker_process_has_a_handler_for_every_kind_of_job_the_code_defines():
    defined = {kind for path in SOURCES.rglob("*.py")
               for kind in re.findall(r'@handler\("([a-z_]+)"\)', path.read_text(encoding="utf-8"))}
    script = ("import django; django.setup(); from prebill.jobs.services import _HANDLERS; "
              "print(' '.join(sorted(_HANDLERS)))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "prebill.config.settings"}

    known = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)

    assert {"send_invoices", "validate_drafts", "post_invoices"} <= defined
    assert set(known.stdout.split()) == defined

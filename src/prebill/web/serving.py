"""Serving prebill in production: gunicorn behind the firm's HTTPS proxy, static files by WhiteNoise.

`prebill serve --production` refuses to start unless the production settings are complete (`check --deploy`
clean), collects the static files with hashed names, then runs gunicorn until it is stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils.translation import gettext_noop

from prebill.core.refusals import Refusal


def default_workers() -> int:
    """gunicorn's advice (2 × cores + 1), at most 9: the database, not the web processes, is what saturates."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def gunicorn_command(address: str, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "prebill.config.wsgi:application", "--bind", address,
            "--workers", str(workers), "--timeout", "120", "--graceful-timeout", "30",
            "--access-logfile", "-", "--error-logfile", "-"]


def start_production_server(address: str, workers: int) -> subprocess.Popen:
    """Check the production settings, collect the static files, start gunicorn (the caller waits and stops it)."""
    if not settings.PREBILL_PRODUCTION:
        raise Refusal(gettext_noop("serving in production needs PREBILL_PRODUCTION=1 with PREBILL_SECRET_KEY and "
                                   "PREBILL_ALLOWED_HOSTS (see docs/operations.md)"))
    try:
        call_command("check", "--deploy", "--fail-level", "WARNING")
    except SystemCheckError as problems:
        raise Refusal(gettext_noop("the production settings are not complete: %(problems)s"),
                      problems=str(problems)) from None
    call_command("collectstatic", "--noinput", verbosity=0)
    return subprocess.Popen(gunicorn_command(address, workers))

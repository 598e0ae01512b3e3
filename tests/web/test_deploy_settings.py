"""Production settings: `check --deploy` is clean with them, and they refuse the public demo key."""

import os
import secrets
import subprocess
import sys


def check(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith("PREBILL_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"} | env
    return subprocess.run([sys.executable, "-m", "django", "check", *args, "--settings=prebill.config.settings"],
                          env=environment, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_the_production_settings():
    done = check("--deploy", "--fail-level", "WARNING", PREBILL_PRODUCTION="1",
                 PREBILL_SECRET_KEY=secrets.token_urlsafe(60), PREBILL_ALLOWED_HOSTS="facturation.cabinet.fr")

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_with_the_public_demo_key():
    done = check(PREBILL_PRODUCTION="1", PREBILL_ALLOWED_HOSTS="facturation.cabinet.fr")

    assert done.returncode != 0 and "PREBILL_SECRET_KEY" in done.stderr


def test_the_demo_key_outside_production_is_a_loud_warning():
    done = check()

    assert "prebill.W001" in done.stderr and "public demo key" in done.stderr

"""`prebill serve --production`: gunicorn with the production settings (HTTPS, secure cookies, HSTS) and the
static files collected and served by WhiteNoise; it refuses to start without those settings."""

import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.jobs.test_embedded import free_port

PREBILL = Path(sys.executable).with_name("prebill")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, **headers: str):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as answer:  # 3xx and 4xx are answers too
        return answer


def environment(tmp_path, **more: str) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("PREBILL_") and key not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return env | {"PREBILL_DATABASE_URL": f"sqlite:///{tmp_path / 'prebill.sqlite3'}", "LANG": "C.UTF-8",
                  "PREBILL_HOME": str(tmp_path), **more}


def test_production_serves_https_only_with_secure_cookies_hsts_and_collected_static_files(tmp_path):
    env = environment(tmp_path, PREBILL_PRODUCTION="1", PREBILL_SECRET_KEY=secrets.token_urlsafe(60),
                      PREBILL_ALLOWED_HOSTS="127.0.0.1", PREBILL_BEHIND_PROXY="1")
    subprocess.run([str(PREBILL), "migrate"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(PREBILL), "serve", "--production", "--no-worker", "--workers", "2",
                               "--address", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        # The server first collects and compresses the static files (the API docs' bundles weigh 8 MB): on a
        # loaded 2-core machine that alone has taken a minute.
        deadline = time.monotonic() + 180
        while True:
            try:
                plain = fetch(f"{base}/login/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError((tmp_path / "serve.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        secure = fetch(f"{base}/login/", **{"X-Forwarded-Proto": "https"})
        page = secure.read().decode()
        stylesheet = next(part.split('"')[0] for part in page.split('href="')[1:] if part.split('"')[0].endswith(".css"))
        css = fetch(f"{base}{stylesheet}", **{"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"})
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    assert plain.status == 301 and plain.headers["Location"].startswith("https://")
    assert secure.status == 200 and "gunicorn" in secure.headers["Server"]
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    assert "Secure" in secure.headers["Set-Cookie"] and "csrftoken" in secure.headers["Set-Cookie"]
    # Collected with a content hash in its name, compressed, cached for ever.
    assert css.status == 200 and css.headers["Content-Encoding"] == "gzip" and "max-age=315360000" in css.headers[
        "Cache-Control"]
    assert stylesheet.count(".") >= 2 and (tmp_path / "var" / "static" / "staticfiles.json").exists()


def test_production_refuses_to_start_without_its_settings(tmp_path):
    answer = subprocess.run([str(PREBILL), "serve", "--production", "--no-worker"], env=environment(tmp_path),
                            capture_output=True, text=True, timeout=60)

    assert answer.returncode != 0 and "PREBILL_PRODUCTION=1" in answer.stderr

"""The embedded mode: `prebill serve` on SQLite with no broker server starts its own worker, and a month's run
asked through the web server goes in the background to completion. No Redis is involved (no broker URL: the
filesystem transport under the instance's folder)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

PREBILL = Path(sys.executable).with_name("prebill")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, token: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_serve_runs_the_month_in_its_own_worker_with_no_broker_server(tmp_path):
    env = os.environ | {"PREBILL_DATABASE_URL": f"sqlite:///{tmp_path / 'prebill.sqlite3'}", "PREBILL_BROKER_URL": "",
                        "PREBILL_BROKER_FOLDER": str(tmp_path / "broker"), "PREBILL_RUNS_INLINE": "0",
                        "PREBILL_FILES_DIR": str(tmp_path / "files"), "LANG": "C.UTF-8"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for args in (["migrate"], ["demo", "--clients", "4", "--time-entries", "40"]):
        subprocess.run([str(PREBILL), *args], env=env, check=True, capture_output=True, timeout=120)
    token = subprocess.run([sys.executable, "-c", (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'prebill.config.settings'; django.setup();"
        "from django.contrib.auth.models import User; from prebill.api.models import ApiToken;"
        "print(ApiToken.issue(user=User.objects.get(username='demo'), name='embedded')[1])")],
        env=env, check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(PREBILL), "serve", "--address", f"127.0.0.1:{port}"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/api"
    month = f"{date.today():%Y-%m}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, run = call(f"{base}/runs", token, {"period": month})
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        seen = [run["status"]]
        while run["status"] not in ("done", "failed") and time.monotonic() < deadline + 60:
            time.sleep(0.2)
            run = call(f"{base}/runs/{run['id']}", token)[1]
            seen.append(run["status"])
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    assert status == 202 and seen[0] == "running"  # answered at once, the work went to the worker
    assert run["status"] == "done", (tmp_path / "serve.log").read_text()[-3000:]
    assert run["summary"]["period"] == month and run["summary"]["pre_invoices"] > 0
    assert not (tmp_path / "broker" / "queue").exists() or not list((tmp_path / "broker" / "queue").iterdir())

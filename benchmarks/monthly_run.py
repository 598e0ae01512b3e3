"""`make bench`: import a 10,000-client portfolio with 1,000,000 time entries, run one month on
SQLite, and run the same month as hand-written SQL (the floor) on a copy of the same database.

Each step runs in its own process, so that its wall time and peak memory are its own.
Usage: python benchmarks/monthly_run.py [--clients N] [--time-entries N] [--period YYYY-MM]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from prebill.demo.generator import write_demo_files  # noqa: E402  (pure Python, no Django)

BIN = Path(sys.executable).parent


def measure(label: str, argv: list[str], env: dict) -> tuple[float, float]:
    """Run a command; return its wall time in seconds and its peak resident memory in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{label} failed ({process.returncode}):\n{output}")
    print(f"  {label:<28} {wall:8.1f} s  {usage.ru_maxrss / 1024:8.0f} MiB")
    for line in output.strip().splitlines()[-12:]:
        print(f"      {line}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--time-entries", type=int, default=1_000_000)
    parser.add_argument("--period", default=None, help="YYYY-MM (default: the current month)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out")
    args = parser.parse_args()
    today = date.today()
    period = args.period or f"{today:%Y-%m}"
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    database = args.workdir / "prebill.sqlite3"
    env = {**os.environ, "PREBILL_DATABASE_URL": f"sqlite:///{database}", "PREBILL_HOME": str(args.workdir)}
    prebill = [str(BIN / "prebill")]

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"portfolio: {args.clients} clients, {args.time_entries} time entries, period {period}")
    started = time.perf_counter()
    files = write_demo_files(args.workdir, clients=args.clients, seed=1, today=today, time_entries=args.time_entries)
    print(f"  {'generate files':<28} {time.perf_counter() - started:8.1f} s")
    measure("migrate", [*prebill, "migrate"], env)

    import_wall, import_peak = 0.0, 0.0
    for label, command, path in (("import portfolio", "import", files.portfolio),
                                 ("import time entries", "import-time", files.time),
                                 ("import metrics", "import-metrics", files.metrics)):
        wall, peak = measure(label, [*prebill, command, str(path)], env)
        import_wall, import_peak = import_wall + wall, max(import_peak, peak)

    floor_db = args.workdir / "floor.sqlite3"
    with sqlite3.connect(database) as source, sqlite3.connect(floor_db) as target:
        source.backup(target)

    run_wall, run_peak = measure("prebill run", [*prebill, "run", "--period", period], env)
    floor_wall, floor_peak = measure(
        "SQL floor", [sys.executable, str(ROOT / "benchmarks" / "sql_floor.py"), str(floor_db), period], env)
    second_wall, _ = measure("prebill run (again, idempotent)", [*prebill, "run", "--period", period], env)
    # A training session done drafts its charges and rebuilds the drafts of the clients it bills.
    ongoing = next(s["reference"] for s in json.loads(files.portfolio.read_text())["training_sessions"]
                   if s.get("status") == "ongoing")
    done_wall, _ = measure("training session done", [*prebill, "training", "done", ongoing], env)
    print(f"pre-billing page of {period}, {args.clients} clients ({20} requests each):")
    measure("pre-billing page", [sys.executable, str(ROOT / "benchmarks" / "pre_billing_page.py"), period], env)

    print()
    print(f"import: {import_wall:.1f} s, peak {import_peak:.0f} MiB")
    print(f"run:    {run_wall:.1f} s, peak {run_peak:.0f} MiB; second run {second_wall:.1f} s")
    print(f"floor:  {floor_wall:.1f} s, peak {floor_peak:.0f} MiB")
    print(f"run / floor = {run_wall / floor_wall:.2f}")
    print(f"training session done: {done_wall:.1f} s")


if __name__ == "__main__":
    main()

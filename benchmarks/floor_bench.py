"""`make bench`: prebill against the raw-SQL floor of `../shared/bench/rawsql_floor.py`, on its data shape.

For each size (clients × time entries each), line mode (detailed: one line per entry; grouped: one line per
collaborator) and database (SQLite, PostgreSQL): the shape is imported once (the import of its entries is
timed), then rounds alternate the floor at the same size and `prebill run` on a fresh copy of the imported
database, followed by a second run that has nothing to change. Medians of the rounds; prebill's total
excluding VAT must equal the floor's `untaxed_total` to the cent. The table goes to docs/performance.md,
between the markers of its "Against the raw-SQL floor" section.

Usage: python benchmarks/floor_bench.py [--sizes 1000x20,1000x100,10000x100] [--modes detailed,grouped]
                                        [--databases sqlite,postgresql] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from floor_shape import write_shape_files  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR = ROOT.parent / "shared" / "bench" / "rawsql_floor.py"
PERFORMANCE = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- floor-bench -->", "<!-- /floor-bench -->"
POSTGRES = os.environ.get("PREBILL_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
CENT = Decimal("0.01")


@dataclass
class Measure:
    wall: float
    peak_mib: float
    output: str


def measure(argv: list[str], env: dict | None = None) -> Measure:
    """Run a command: its wall time, its peak resident memory (its own, measured by the kernel) and output."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{output[-4000:]}")
    return Measure(wall, usage.ru_maxrss / 1024, output)


class Database:
    """A database to import the shape into once and to copy for each round."""

    def __init__(self, kind: str, workdir: Path, tag: str):
        self.kind, self.workdir, self.tag = kind, workdir, tag

    def url(self, copy: bool) -> str:
        name = f"bench_{self.tag}" + ("_run" if copy else "")
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        return f"{POSTGRES}/{name}"

    def _pg(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            for statement in statements:
                connection.execute(statement)

    def create(self) -> None:
        if self.kind == "sqlite":
            Path(self.url(False).removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            self._pg(f"DROP DATABASE IF EXISTS bench_{self.tag}_run", f"DROP DATABASE IF EXISTS bench_{self.tag}",
                     f"CREATE DATABASE bench_{self.tag}")

    def copy(self) -> None:
        """A fresh copy of the imported database for one round."""
        if self.kind == "sqlite":
            source, target = (Path(self.url(c).removeprefix("sqlite:///")) for c in (False, True))
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(source, target)
        else:
            self._pg(f"DROP DATABASE IF EXISTS bench_{self.tag}_run",
                     f"CREATE DATABASE bench_{self.tag}_run TEMPLATE bench_{self.tag}")

    def drop(self) -> None:
        if self.kind == "sqlite":
            for copy in (False, True):
                for suffix in ("", "-wal", "-shm"):
                    Path(self.url(copy).removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            self._pg(f"DROP DATABASE IF EXISTS bench_{self.tag}_run", f"DROP DATABASE IF EXISTS bench_{self.tag}")

    def _one(self, query: str, *args):
        """One row of the round's copy."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.url(True).removeprefix("sqlite:///")) as connection:
                return connection.execute(query.replace("%s", "?"), args).fetchone()
        import psycopg

        with psycopg.connect(self.url(True)) as connection:
            return connection.execute(query, args).fetchone()

    def untaxed_total(self, period_start: str) -> Decimal:
        """What the run drafted, excluding VAT."""
        total, = self._one("SELECT SUM(total_excluding_vat) FROM billing_preinvoice WHERE period = %s", period_start)
        return Decimal(str(total)).quantize(CENT)

    def last_run_seconds(self) -> float:
        """The last run's own time, from its start to its end as it recorded them (no process start-up)."""
        started, finished = self._one("SELECT started_at, finished_at FROM billing_billingrun ORDER BY id DESC LIMIT 1")
        if isinstance(started, str):
            started, finished = (datetime.fromisoformat(value) for value in (started, finished))
        return (finished - started).total_seconds()


@dataclass
class Case:
    clients: int
    lines: int
    mode: str
    database: str
    import_s: float = 0.0
    import_peak: float = 0.0
    floor: list[float] = field(default_factory=list)
    run: list[float] = field(default_factory=list)  # the run's own time
    process: list[float] = field(default_factory=list)  # the whole `prebill run` command
    again: list[float] = field(default_factory=list)
    peak: list[float] = field(default_factory=list)
    same_money: bool = True

    def row(self) -> str:
        floor, run, process, again = (statistics.median(v) for v in (self.floor, self.run, self.process, self.again))
        return (f"| {self.clients:,} × {self.lines} | {self.mode} | {self.database} | {floor:.2f} s | {run:.2f} s | "
                f"{process:.2f} s | **{run / floor:.1f}** | {again:.2f} s ({again / floor:.1f}) | {max(self.peak):.0f} MiB | "
                f"{self.import_s:.1f} s | {'yes' if self.same_money else '**no**'} |")


def run_case(clients: int, lines: int, mode: str, database: str, rounds: int, workdir: Path) -> Case:
    case = Case(clients, lines, mode, database)
    files = write_shape_files(workdir / f"{clients}x{lines}-{mode}", clients=clients, lines=lines, line_mode=mode,
                              today=date.today())
    db = Database(database, workdir, f"{clients}x{lines}_{mode}")
    db.create()
    # Compiled modules are kept, as an installation keeps them: the rounds time prebill, not Python's compiler.
    inherited = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env = {**inherited, "PREBILL_DATABASE_URL": db.url(False), "PREBILL_HOME": str(workdir), "LC_ALL": "C.UTF-8",
           "LANGUAGE": "en"}
    prebill = str(BIN / "prebill")
    measure([prebill, "migrate"], env)
    measure([prebill, "import", str(files.portfolio)], env)
    imported = measure([prebill, "import-time", str(files.time)], env)
    case.import_s, case.import_peak = imported.wall, imported.peak_mib
    run_env = {**env, "PREBILL_DATABASE_URL": db.url(True)}
    floor_args = [sys.executable, str(FLOOR), "--customers", str(clients), "--lines", str(lines),
                  *(["--detailed"] if mode == "detailed" else []), "--dir", str(workdir / "floor")]
    for _ in range(rounds):
        floor = json.loads(measure(floor_args).output.strip().splitlines()[-1])
        case.floor.append(floor["invoice_s"])
        db.copy()
        done = measure([prebill, "run", "--period", files.period], run_env)
        case.run.append(db.last_run_seconds())
        case.process.append(done.wall)
        case.peak.append(done.peak_mib)
        again = measure([prebill, "run", "--period", files.period], run_env)
        if not re.search(r"\b0 new, 0 updated\b", again.output):
            sys.exit(f"the second run changed something:\n{again.output}")
        case.again.append(db.last_run_seconds())
        drafted = db.untaxed_total(f"{files.period}-01")
        if drafted != Decimal(str(floor["untaxed_total"])).quantize(CENT):
            case.same_money = False
            print(f"  money differs: prebill {drafted}, floor {floor['untaxed_total']}")
        print(f"  {clients}×{lines} {mode:<8} {database:<10} floor {case.floor[-1]:6.2f} s  run {case.run[-1]:7.2f} s "
              f"({done.peak_mib:.0f} MiB)  again {case.again[-1]:6.2f} s", flush=True)
    db.drop()
    return case


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
            f"{date.today():%Y-%m-%d}")


def write_table(cases: list[Case], rounds: int) -> str:
    table = "\n".join([
        f"Machine: {machine()}. Medians of {rounds} rounds; the floor is `rawsql_floor.py`'s timed transaction, "
        "prebill's run is the time the run recorded (its own start to its end, like the floor's transaction) on a "
        "fresh copy of the imported database, and the whole `prebill run` command beside it (process start-up "
        "included); \"again\" is a second run that changes nothing; peak is the command's resident memory.",
        "",
        "| size | lines | database | floor | prebill run | the command | run / floor | again (/ floor) | peak memory | "
        "import of the entries | same money |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        *(case.row() for case in cases),
    ])
    text = PERFORMANCE.read_text()
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        PERFORMANCE.write_text(f"{before}{BEGIN}\n{table}\n{END}{rest.split(END, 1)[1]}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000x20,1000x100,10000x100")
    parser.add_argument("--modes", default="detailed,grouped")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out" / "floor")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    cases = []
    for size in args.sizes.split(","):
        clients, lines = (int(n) for n in size.split("x"))
        for mode in args.modes.split(","):
            for database in args.databases.split(","):
                cases.append(run_case(clients, lines, mode, database, args.rounds, args.workdir))
    print(write_table(cases, args.rounds))
    if not all(case.same_money for case in cases):
        sys.exit("prebill's total excluding VAT differs from the floor's")


if __name__ == "__main__":
    main()

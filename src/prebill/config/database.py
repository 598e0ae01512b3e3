"""Database settings from a URL: sqlite:///path/to/file or postgresql://user:pass@host:port/name."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def database_from_url(url: str, *, base_dir: Path) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = Path(unquote(parsed.path.removeprefix("/"))) if parsed.path not in ("", "/") else None
        if path is None:
            raise ValueError(f"an SQLite URL names a file: sqlite:///var/prebill.sqlite3, got {url!r}")
        if not path.is_absolute() and not parsed.path.startswith("//"):
            path = base_dir / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                # WAL lets readers work while the monthly run writes; IMMEDIATE takes the
                # write lock at BEGIN so concurrent writers queue instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
            },
            "TEST": {"NAME": str(path.with_name("test_" + path.name))},
        }
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "prebill",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")

"""Mail settings from a URL: smtp://user:password@host:587 (STARTTLS with ?tls=1), smtps://host:465 (SSL).

No URL: the messages are written as files under var/outbox (the demo, a machine without a mail server), so
nothing is lost and the send log still says what was sent."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


def mail_from_url(url: str, *, outbox: Path) -> dict:
    """The Django EMAIL_* settings that `url` says."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
        raise ValueError(f"PREBILL_SMTP_URL={url!r}: use smtp://user:password@host:port or smtps://host:port")
    options = parse_qs(parsed.query)
    ssl = parsed.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname,
        "EMAIL_PORT": parsed.port or (465 if ssl else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": ssl,
        "EMAIL_USE_TLS": not ssl and options.get("tls", ["0"])[0] == "1",
    }

"""The `prebill` command line: thin, it parses arguments and calls the services."""

from __future__ import annotations

import os
import sys


def locale_language(environ=os.environ) -> str:
    """French when the locale is (LC_ALL, then LC_MESSAGES, then LANG), else English: one language a run."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return "fr" if environ[name].lower().startswith("fr") else "en"
    return "en"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")
    import django

    django.setup()
    from django.utils import translation

    from prebill.cli.commands import dispatch

    # Refusals (caught once, in dispatch) and every translated text are written in the locale's language.
    translation.activate(locale_language())
    return dispatch(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())

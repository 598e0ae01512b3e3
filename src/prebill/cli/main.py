"""The `prebill` command line: thin, it parses arguments and calls the services."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prebill.config.settings")
    import django

    django.setup()
    from prebill.cli.commands import dispatch

    return dispatch(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())

"""Sub-commands of `prebill`; each maps to one service and maps its errors to an exit code."""

from __future__ import annotations

import argparse
import sys

from django.core.management import call_command


def dispatch(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="prebill", description="Pre-billing for professional-services firms.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or update the database schema")
    args, rest = parser.parse_known_args(argv)
    if args.command == "migrate":
        call_command("migrate", verbosity=0, *rest)
        print("database ready")
        return 0
    return 2


def _fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code

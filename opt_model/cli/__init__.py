"""The ``opt-model`` command line.

The CLI is the top layer: a package of its own that library code never
imports.  Subcommands live in small modules of this package that each expose
``register(subparsers)``; they are listed in :data:`COMMAND_MODULES`, so a
capability adds its commands without touching this file's logic.

Exit codes: 0 solved to optimality (or command succeeded), 1 another solver
outcome, 2 a usage or input error (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from opt_model.errors import OptModelError

COMMAND_MODULES = [
    "opt_model.cli.solve",
    "opt_model.cli.spec",
    "opt_model.cli.sensitivity",
    "opt_model.cli.bench",
    "opt_model.cli.lifecycle",
    "opt_model.cli.robustify",
]

EXIT_OK = 0
EXIT_NOT_OPTIMAL = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL = 3


class _HelpFormatter(argparse.HelpFormatter):
    """Help that states every option's default (unless its text already does)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        empty = default is None or default is False or default == [] or default == ""
        if (action.option_strings and "default" not in text.lower() and not empty
                and default is not argparse.SUPPRESS and not isinstance(action, argparse._VersionAction)):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"opt-model: error: {message}\n")
        raise SystemExit(EXIT_INPUT_ERROR)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="opt-model", description="Resource-allocation optimization: model, solve, analyse.")
    from opt_model import __version__
    parser.add_argument("--version", action="version", version=f"opt-model {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue  # capability not present in this build
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``opt-model`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT_ERROR
    try:
        return int(args.handler(args))
    except OptModelError as error:
        sys.stderr.write(f"opt-model: error: {error}\n")
        return EXIT_INPUT_ERROR
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        sys.stderr.write(f"opt-model: error: {error.filename}: {error.strerror}\n")
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("opt-model: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

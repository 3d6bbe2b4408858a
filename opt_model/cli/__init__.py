"""The ``opt-model`` command line.

The CLI is the top layer: a package of its own that library code never
imports.  Subcommands live in small modules of this package that each expose
``register(subparsers)``; they are listed in :data:`COMMAND_MODULES`, so a
capability adds its commands without touching this file's logic.

Exit codes, one per meaning (:data:`EXIT_OK` ... :data:`EXIT_INTERNAL`):

* 0: solved to optimality, or the command (a check, a conversion) succeeded;
* 1: another solver outcome (infeasible, unbounded, a limit), or a check that failed;
* 2: a usage or input error (one line on stderr, never a traceback);
* 3: an internal error, a bug: one line asking for a report; ``--debug`` shows the traceback.
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

# Which module registers each command: the CLI imports only the module of the command it runs
# (``opt-model --version`` imports none).  A command missing here still works (every module is
# then registered); tests/test_startup.py checks the table against what the modules register.
COMMANDS = {
    "solve": "opt_model.cli.solve", "solvers": "opt_model.cli.solve",
    "validate": "opt_model.cli.spec", "schema": "opt_model.cli.spec", "convert": "opt_model.cli.spec",
    "sensitivity": "opt_model.cli.sensitivity", "robustness": "opt_model.cli.sensitivity",
    "bench": "opt_model.cli.bench", "monitor": "opt_model.cli.bench",
    "lifecycle": "opt_model.cli.lifecycle", "robustify": "opt_model.cli.robustify",
}

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


def modules_for(argv: Sequence[str]) -> list[str]:
    """The command modules a command line needs: its command's, none for ``--version``, all for help.

    Example
    -------
    >>> modules_for(["--version"]), modules_for(["solve", "x.mps"])
    ([], ['opt_model.cli.solve'])
    """
    tokens = list(argv)
    k = 0
    while k < len(tokens):
        token = tokens[k]
        if token == "--version":
            return []  # argparse prints the version as soon as it reaches it
        if token in ("-h", "--help"):
            return list(COMMAND_MODULES)
        if token == "--allow-data-outside":
            k += 2
            continue
        if token.startswith("-"):
            k += 1
            continue
        module = COMMANDS.get(token)
        return [module] if module in COMMAND_MODULES else list(COMMAND_MODULES)
    return list(COMMAND_MODULES)


def build_parser(modules: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser with the commands of ``modules`` (default: every command module)."""
    parser = _Parser(prog="opt-model", description="Resource-allocation optimization: model, solve, analyse.")
    from opt_model import __version__
    parser.add_argument("--version", action="version", version=f"opt-model {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an internal error (exit code 3)")
    parser.add_argument("--allow-data-outside", action="append", default=[], metavar="FOLDER",
                        help="let specs read CSV files in FOLDER too; by default data files must be in the spec's "
                             "folder (repeatable)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES if modules is None else modules:
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
    tokens = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(modules_for(tokens))
    args = parser.parse_args(tokens)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT_ERROR
    try:
        if getattr(args, "allow_data_outside", None):
            from opt_model.spec import allow_data_roots

            with allow_data_roots(args.allow_data_outside):
                return int(args.handler(args))
        return int(args.handler(args))
    except OptModelError as error:
        sys.stderr.write(f"opt-model: error: {error}\n")
        return exit_code(error)
    except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as error:
        sys.stderr.write(f"opt-model: error: {error.filename}: {error.strerror}\n")
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("opt-model: interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (| head): nothing left to say
        return EXIT_OK
    except Exception as error:
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"opt-model: internal error: {type(error).__name__}: {str(error)[:300]}\n"
                         "opt-model: this is a bug, please report it with the command and input that caused it"
                         f"{'' if getattr(args, 'debug', False) else ' (run with --debug for the traceback)'}\n")
        return EXIT_INTERNAL


def exit_code(error: OptModelError) -> int:
    """1 for an error caused by a solver outcome (it carries a non-optimal ``status``), else 2.

    Example
    -------
    >>> from opt_model.errors import SensitivityError
    >>> from solvers import SolveStatus
    >>> error = SensitivityError("the LP ended unbounded"); error.status = SolveStatus.UNBOUNDED
    >>> exit_code(error), exit_code(SensitivityError("a MILP has no duals"))
    (1, 2)
    """
    status = getattr(error, "status", None)
    if status is not None and str(getattr(status, "value", status)) != "optimal":
        return EXIT_NOT_OPTIMAL
    return EXIT_INPUT_ERROR


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

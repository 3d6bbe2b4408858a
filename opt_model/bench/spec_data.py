"""Loading a YAML spec with some of its CSV files replaced by new ones (monitoring, benchmark variants).

An override maps a *target* to a CSV file.  The target is the name of a
``dims``, ``data`` or ``networks`` entry that reads a CSV (``demand``), or the
CSV path as the spec writes it (``demand.csv``); every entry reading that file
then reads the new one.  When :func:`opt_model.spec.load_spec` accepts
``data_overrides`` itself, it is used; otherwise the spec's YAML is rewritten in
memory and loaded with :func:`opt_model.spec.loads_spec` (CSV paths relative to
the spec still work; locations in error messages then refer to the rewritten
text).

Example
-------
::

    model = load_with_data("plan.yaml", {"demand": "demand_march.csv"})
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from opt_model.errors import InputFileError, SolverNotAvailableError

SECTIONS = ("dims", "data", "networks")


def _spec_api() -> Any:
    try:
        import opt_model.spec as spec
    except ImportError as error:
        raise SolverNotAvailableError(f"the YAML spec loader is not available in this build ({error})") from None
    return spec


def csv_entries(document: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(section, entry name, csv path)`` of every entry of a spec document that reads a CSV."""
    found = []
    for section in SECTIONS:
        entries = document.get(section) or {}
        if not isinstance(entries, Mapping):
            continue
        for name, entry in entries.items():
            if isinstance(entry, Mapping) and isinstance(entry.get("csv"), str):
                found.append((section, str(name), str(entry["csv"])))
    return found


def resolve_overrides(document: Mapping[str, Any], overrides: Mapping[str, str | Path]) -> dict[str, str]:
    """Map each override target to the spec's CSV path it replaces; ``""`` as target means "the only CSV".

    Raises :class:`InputFileError` naming the CSV entries when a target matches none.
    """
    entries = csv_entries(document)
    files = sorted({path for _, _, path in entries})
    resolved: dict[str, str] = {}
    for target, new in overrides.items():
        new_path = Path(new)
        if not new_path.is_file():
            raise InputFileError(f"{new_path}: no such CSV file")
        matches = {path for _, name, path in entries if name == target} | {
            path for path in files if path == target or Path(path).name == target}
        if not target:
            matches = {path for path in files if Path(path).name == new_path.name}
            if not matches and len(files) == 1:
                matches = set(files)
        if not matches:
            known = ", ".join(f"{name} ({path})" for _, name, path in entries) or "none"
            hint = "name the entry: --data NAME=FILE" if not target else "check the name"
            raise InputFileError(f"{new_path}: cannot tell which CSV of the spec it replaces; {hint} "
                                 f"(entries reading CSV files: {known})")
        for path in matches:
            resolved[path] = str(new_path.resolve())
    return resolved


def load_with_data(spec_path: str | Path, overrides: Mapping[str, str | Path] | None = None) -> Any:
    """A :class:`~opt_model.Model` from a spec, with CSV files replaced as ``overrides`` says."""
    spec = _spec_api()
    path = Path(spec_path)
    if not overrides:
        return spec.load_spec(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    document = spec.read_document(path)  # the spec's own YAML 1.2 reader: 'on' stays a name
    if not isinstance(document, dict):
        return spec.load_spec(path)
    replacements = resolve_overrides(document, overrides)
    return spec.load_spec(path, csv_replacements=replacements)

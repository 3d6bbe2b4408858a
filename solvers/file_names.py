"""Names and numbers in written model files (MPS, CPLEX LP).

The writer keeps the model's names.  MPS takes them as they are (no spaces);
CPLEX LP allows only letters, digits and ``!"#$%&()/,.;?@_`'{}|~``, so
``x[etl,h1]`` is written ``x(etl,h1)`` and any other character becomes ``_``
(a clash gets a ``~2`` suffix); :func:`write_name_map` records every changed
name beside the file.  Numbers are rewritten in their shortest round-trip form
(``0.225``, not ``0.22500000000000001``), and an MPS file's ``NAME`` line
carries the model's name.

Example
-------
>>> lp_names(["x[etl,h1]", "cost per-unit", "2nd"])
['x(etl,h1)', 'cost_per_unit', '_2nd']
>>> shortest("0.22500000000000001"), shortest("+3890"), shortest("1e+30")
('0.225', '+3890', '1e+30')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

_LP_BAD = re.compile(r"[^A-Za-z0-9!\"#$%&()/,.;?@_`'{}|~]")
_NUMBER = re.compile(r"^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$")
_MPS_NUMERIC_FIELDS = {"COLUMNS": (2, 4), "RHS": (2, 4), "RANGES": (2, 4), "QUADOBJ": (2,), "QMATRIX": (2,),
                       "QSECTION": (2,), "BOUNDS": (3,)}


def lp_names(names: Sequence[str]) -> list[str]:
    """Names that CPLEX LP accepts, one per input, unique, as close to the input as possible."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        safe = _LP_BAD.sub("_", name.replace("[", "(").replace("]", ")")) or "_"
        if safe[0].isdigit() or safe[0] == "." or re.match(r"^[eE][-+]?\d", safe):
            safe = "_" + safe
        candidate, counter = safe, 1
        while candidate in seen:
            counter += 1
            candidate = f"{safe}~{counter}"
        seen.add(candidate)
        out.append(candidate)
    return out


def mps_names(names: Sequence[str]) -> list[str]:
    """Names that MPS accepts: the same, with spaces as ``_`` (a clash gets a ``~2`` suffix)."""
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        safe = name.replace(" ", "_") or "_"
        candidate, counter = safe, 1
        while candidate in seen:
            counter += 1
            candidate = f"{safe}~{counter}"
        seen.add(candidate)
        out.append(candidate)
    return out


def shortest(token: str) -> str:
    """A number token in its shortest round-trip form (the sign kept); other tokens unchanged."""
    if not _NUMBER.match(token):
        return token
    text = repr(abs(float(token)))
    text = text[:-2] if text.endswith(".0") else text
    candidate = ("-" if token.startswith("-") else "+" if token.startswith("+") else "") + text
    return candidate if len(candidate) <= len(token) else token


def polish(path: Path, model_name: str) -> None:
    """Rewrite the numbers of a written MPS/LP file shortest, and fill an empty MPS ``NAME``."""
    lines = path.read_text().splitlines()
    is_mps = path.suffix.lower() == ".mps"
    section = ""
    out: list[str] = []
    for line in lines:
        if is_mps:
            if line and not line[0].isspace():
                section = line.split()[0].upper()
                if section == "NAME" and len(line.split()) == 1:
                    line = f"NAME          {model_name.replace(' ', '_') or 'model'}"
                out.append(line)
                continue
            fields = _MPS_NUMERIC_FIELDS.get(section)
            if fields and "MARKER" not in line:
                tokens = line.split()
                for index in fields:
                    if index < len(tokens):
                        tokens[index] = shortest(tokens[index])
                line = "    " + "  ".join(tokens)
            out.append(line)
        elif line.startswith("\\"):
            out.append(line)
        else:
            out.append(" ".join(shortest(token) for token in line.split(" ")))
    if not is_mps:
        out = _without_empty_lp_sections(out)
    path.write_text("\n".join(out) + "\n")


_LP_SECTIONS = {"bounds", "bound", "bin", "binary", "binaries", "gen", "general", "generals", "semi",
                "semi-continuous", "semis", "sos", "end"}


def _without_empty_lp_sections(lines: list[str]) -> list[str]:
    """Drop LP section headers with nothing under them (HiGHS writes ``bin``, ``gen``, ``semi`` always)."""
    kept: list[str] = []
    for k, line in enumerate(lines):
        word = line.strip().lower()
        if word in _LP_SECTIONS and word != "end":
            following = next((other.strip().lower() for other in lines[k + 1:] if other.strip()), "end")
            if following in _LP_SECTIONS:
                continue
        kept.append(line)
    return kept


def write_name_map(path: Path, blocks: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> Path | None:
    """``<file>.names.csv`` (kind, name in the model, name in the file) for the names that changed.

    ``blocks`` are ``(kind, original names, written names)``; no file (and an old one removed)
    when every name was kept.
    """
    changed = [(kind, a, b) for kind, original, written in blocks for a, b in zip(original, written, strict=True)
               if a != b]
    target = path.with_name(path.name + ".names.csv")
    if not changed:
        target.unlink(missing_ok=True)
        return None
    with target.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "model_name", "file_name"])
        writer.writerows(changed)
    return target

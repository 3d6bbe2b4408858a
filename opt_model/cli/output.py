"""Where CLI output goes, and the formats every command offers."""

from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ("table", "json", "csv")


def emit(text: str, output: str | None) -> None:
    """Write to ``output`` (a path) or stdout."""
    if output:
        Path(output).write_text(text)
    else:
        sys.stdout.write(text)

"""What a batch runs: problems, solver configurations, repeats and limits.

A suite comes from command-line paths (MPS/LP files, YAML specs, folders of them)
or from a suite file, a YAML mapping with a ``problems`` key::

    name: netlib-small
    problems:                     # paths relative to this file; folders are expanded
      - ../shared/data/netlib/afiro.mps
      - path: models/
        pattern: "*.yaml"
      - path: other.mps
        objective: 12.5           # a known optimum for this problem
    solu: [netlib.solu]           # optional; *.solu beside the problems is found anyway
    solvers:
      - highs
      - highs:ipm
      - {solver: highs, label: highs-nopresolve, options: {presolve: false}}
    repeats: 3
    time_limit: 60                # seconds
    memory_limit: 4G              # or a number of MiB
    tolerance: 1e-6

Example
-------
::

    suite = build_suite(["../shared/data/netlib/afiro.mps"], ["highs", "highs:ipm"])
    [job.key for job in suite.jobs()]
    # -> ['afiro|highs|0', 'afiro|highs:ipm|0']
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opt_model.bench.references import Reference, read_solu, spec_reference
from opt_model.errors import InputFileError

SPEC_SUFFIXES = (".yaml", ".yml")
MODEL_SUFFIXES = (".mps", ".lp", ".mps.gz", ".lp.gz", ".free-mps", ".qps")


@dataclass(frozen=True)
class Problem:
    """One problem of a suite: a model file or a YAML spec, with its known answer if any."""

    name: str
    path: str
    kind: str  # "file" or "spec"
    reference: Reference | None = None
    data_overrides: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SolverConfig:
    """A solver with options, under a label (``highs:ipm``, ``highs[presolve=False]``)."""

    solver: str
    options: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if not self.options:
            return self.solver
        return f"{self.solver}[{','.join(f'{key}={value}' for key, value in self.options)}]"

    @property
    def options_dict(self) -> dict[str, Any]:
        return dict(self.options)


@dataclass(frozen=True)
class Job:
    """One run: a problem, a solver configuration and a repeat number."""

    problem: Problem
    solver: SolverConfig
    repeat: int

    @property
    def key(self) -> str:
        """The run's identity in the database: ``problem|solver label|repeat``."""
        return f"{self.problem.name}|{self.solver.name}|{self.repeat}"

    def payload(self, time_limit: float | None) -> dict[str, Any]:
        """The JSON job handed to the worker."""
        options = self.solver.options_dict
        if time_limit is not None and "time_limit" not in options:
            options["time_limit"] = time_limit
        return {"problem": self.problem.path, "kind": self.problem.kind, "solver": self.solver.solver,
                "options": options, "data_overrides": dict(self.problem.data_overrides)}


@dataclass
class Suite:
    """Problems x solver configurations x repeats, with limits."""

    problems: list[Problem]
    solvers: list[SolverConfig]
    repeats: int = 1
    time_limit: float = 300.0
    memory_limit_mb: float | None = None
    tolerance: float = 1e-6
    name: str = ""
    source: str = ""
    commit: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def jobs(self) -> Iterator[Job]:
        """Every run, problem-major (all solvers on a problem, then the next problem)."""
        for problem in self.problems:
            for repeat in range(self.repeats):
                for solver in self.solvers:
                    yield Job(problem, solver, repeat)


def parse_memory(value: Any) -> float | None:
    """MiB from ``4096``, ``"4G"``, ``"512M"``, ``"2.5GB"``; ``None``/``0``/``"none"`` mean no limit.

    Example
    -------
    >>> parse_memory("4G"), parse_memory("512M"), parse_memory(100), parse_memory("none")
    (4096.0, 512.0, 100.0, None)
    """
    if value is None or value == 0:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().lower()
    if text in ("", "none", "off", "0"):
        return None
    match = re.fullmatch(r"([0-9.]+)\s*([kmgt]?)i?b?", text)
    if not match:
        raise InputFileError(f"memory limit {value!r} is not understood; write e.g. 4G, 512M or a number of MiB")
    scale = {"k": 1 / 1024, "": 1.0, "m": 1.0, "g": 1024.0, "t": 1024.0**2}[match.group(2)]
    return float(match.group(1)) * scale


def parse_solver(text: str) -> SolverConfig:
    """``highs``, ``highs:ipm``, or ``highs:ipm?presolve=false&threads=1`` (options after ``?``)."""
    solver, _, query = text.strip().partition("?")
    options = []
    for part in filter(None, query.split("&")):
        key, sep, raw = part.partition("=")
        if not sep:
            raise InputFileError(f"solver option {part!r} in {text!r} needs a value: write key=value")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InputFileError(f"solver option {part!r} in {text!r}: {raw!r} is not a value; write key=value "
                                 "with a number, true/false or a word") from None
        if isinstance(value, (dict, list)) or (isinstance(value, float) and value != value):
            raise InputFileError(f"solver option {part!r} in {text!r}: give one number, true/false or a word")
        options.append((key.strip(), value))
    if not solver:
        raise InputFileError(f"empty solver name in {text!r}")
    return SolverConfig(solver, tuple(options))


def _solver_from_yaml(entry: Any, where: str) -> SolverConfig:
    if isinstance(entry, str):
        return parse_solver(entry)
    if isinstance(entry, dict) and isinstance(entry.get("solver"), str):
        options = entry.get("options") or {}
        if not isinstance(options, dict):
            raise InputFileError(f"{where}: options of solver {entry['solver']!r} must be a mapping")
        return SolverConfig(entry["solver"], tuple(sorted(options.items())), str(entry.get("label") or ""))
    raise InputFileError(f"{where}: each solver is a name like 'highs:ipm' or a mapping with 'solver', "
                         f"'options' and 'label'; got {entry!r}")


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML loading that rejects duplicate keys."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            mark = key_node.start_mark
            raise InputFileError(f"{mark.name}:{mark.line + 1}:{mark.column + 1}: duplicate key {key!r}")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(path: Path) -> Any:
    try:
        with path.open() as handle:
            return yaml.load(handle, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        raise InputFileError(f"{path}: not valid YAML: {error}") from None


def is_suite_file(path: Path) -> bool:
    """A YAML file with a top-level ``problems`` key is a suite (a spec cannot have one)."""
    if path.suffix.lower() not in SPEC_SUFFIXES or not path.is_file():
        return False
    document = read_yaml(path)
    return isinstance(document, dict) and "problems" in document


def _problem_name(path: Path) -> str:
    name = path.name
    for suffix in sorted(MODEL_SUFFIXES + SPEC_SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _is_problem_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(MODEL_SUFFIXES) or name.endswith(SPEC_SUFFIXES)


def _expand(path: Path, pattern: str | None = None) -> list[Path]:
    if path.is_dir():
        found = sorted(path.glob(pattern)) if pattern else sorted(p for p in path.iterdir() if _is_problem_file(p))
        return [p for p in found if p.is_file() and not is_suite_file(p)]
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if not _is_problem_file(path):
        raise InputFileError(f"{path}: not a problem file; give .mps, .lp (optionally .gz), .yaml specs or folders")
    return [path]


def git_commit(path: Path) -> str:
    """The git commit of the repository holding ``path`` (``+dirty`` when it has changes), or ``""``."""
    folder = path if path.is_dir() else path.parent
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=False)
        if commit.returncode != 0:
            return ""
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=False)
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def file_digest(path: str | Path) -> str:
    """Short SHA-256 of a file's bytes (tells apart problems that share a name)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def build_suite(paths: Sequence[str | Path], solvers: Sequence[str] | None = None, *,
                solu: Sequence[str | Path] = (), repeats: int | None = None, time_limit: float | None = None,
                memory_limit: Any = None, tolerance: float | None = None,
                references: dict[str, float] | None = None) -> Suite:
    """A suite from paths (files, folders, suite files), with command-line settings winning over the file's.

    ``*.solu`` files in the folders of the problems are read automatically;
    ``solu`` adds more (later files win).  ``references`` maps problem names to
    known optima and wins over everything (useful for tests and one-off checks).

    Example
    -------
    ::

        suite = build_suite(["../shared/data/netlib/afiro.mps"], ["highs"], time_limit=60)
        suite.problems[0].reference.objective
        # -> -464.75314286
    """
    if not paths:
        raise InputFileError("no problems given; pass MPS/LP files, YAML specs, folders or a suite file")
    entries: list[tuple[Path, dict[str, Any]]] = []
    file_settings: dict[str, Any] = {}
    solu_files: list[Path] = []
    name, source, commit = "", "", ""
    suite_solvers: list[SolverConfig] = []
    for raw in paths:
        path = Path(raw)
        if is_suite_file(path):
            document = read_yaml(path)
            base = path.parent
            name, source, commit = str(document.get("name") or path.stem), str(path), git_commit(path)
            problems = document.get("problems") or []
            if not isinstance(problems, list):
                raise InputFileError(f"{path}: 'problems' must be a list of paths or mappings")
            for item in problems:
                if isinstance(item, str):
                    entries.append((base / item, {}))
                elif isinstance(item, dict) and isinstance(item.get("path"), str):
                    entries.append((base / item["path"], item))
                else:
                    raise InputFileError(f"{path}: each problem is a path or a mapping with 'path'; got {item!r}")
            listed = document.get("solu") or []
            for solu_path in [listed] if isinstance(listed, str) else listed:
                solu_files.append(base / str(solu_path))
            suite_solvers += [_solver_from_yaml(entry, str(path)) for entry in document.get("solvers") or []]
            unknown = set(document) - {"name", "problems", "solu", "solvers", "repeats", "time_limit",
                                       "memory_limit", "tolerance", "description"}
            if unknown:
                raise InputFileError(f"{path}: unknown suite key(s) {', '.join(sorted(map(str, unknown)))}; "
                                     "known: problems, solvers, solu, repeats, time_limit, memory_limit, tolerance")
            file_settings.update({key: document[key] for key in ("repeats", "time_limit", "memory_limit",
                                                                  "tolerance") if key in document})
        else:
            entries.append((path, {}))
            if not commit:
                commit = git_commit(path)
    files: list[tuple[Path, dict[str, Any]]] = []
    for path, settings in entries:
        files.extend((found, settings) for found in _expand(path, settings.get("pattern")))
    folders = dict.fromkeys(found.parent for found, _ in files)
    known: dict[str, Reference] = {}
    for folder in folders:
        for solu_file in sorted(folder.glob("*.solu")):
            known.update(read_solu(solu_file))
    for solu_file in [*solu_files, *map(Path, solu)]:
        known.update(read_solu(solu_file))
    found: list[Problem] = []
    seen: dict[str, Path] = {}
    for path, settings in files:
        problem_name = _problem_name(path)
        if problem_name in seen and seen[problem_name] != path.resolve():
            problem_name = f"{path.parent.name}/{problem_name}"
        if problem_name in seen:
            continue
        seen[problem_name] = path.resolve()
        kind = "spec" if path.suffix.lower() in SPEC_SUFFIXES else "file"
        reference = known.get(_problem_name(path))
        if kind == "spec":
            reference = spec_reference(path) or reference
        if "objective" in settings:
            reference = Reference("optimal", float(settings["objective"]), source="suite file")
        if references and problem_name in references:
            reference = Reference("optimal", float(references[problem_name]), source="command line")
        overrides = settings.get("data") or {}
        found.append(Problem(problem_name, str(path.resolve()), kind, reference,
                                tuple(sorted((str(k), str((path.parent / str(v)).resolve()))
                                             for k, v in overrides.items()))))
    if not found:
        raise InputFileError(f"no problem files found in {', '.join(map(str, paths))}")
    configs = [parse_solver(text) for text in solvers] if solvers else suite_solvers
    if not configs:
        configs = [SolverConfig("highs")]
    labels = [config.name for config in configs]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise InputFileError(f"solver configuration(s) {', '.join(duplicates)} given twice; give each a 'label'")
    suite = Suite(found, configs, name=name, source=source, commit=commit)
    suite.repeats = int(repeats if repeats is not None else file_settings.get("repeats", 1))
    suite.time_limit = float(time_limit if time_limit is not None else file_settings.get("time_limit", 300.0))
    suite.memory_limit_mb = parse_memory(memory_limit if memory_limit is not None
                                         else file_settings.get("memory_limit"))
    suite.tolerance = float(tolerance if tolerance is not None else file_settings.get("tolerance", 1e-6))
    if suite.repeats < 1 or suite.time_limit <= 0:
        raise InputFileError("repeats must be at least 1 and the time limit positive")
    return suite


def describe(suite: Suite) -> dict[str, Any]:
    """JSON-ready settings of a suite (stored with each batch)."""
    return {"name": suite.name, "source": suite.source, "commit": suite.commit, "repeats": suite.repeats,
            "time_limit": suite.time_limit, "memory_limit_mb": suite.memory_limit_mb,
            "tolerance": suite.tolerance, "solvers": [config.name for config in suite.solvers],
            "problems": len(suite.problems)}


def options_json(options: dict[str, Any]) -> str:
    return json.dumps(options, sort_keys=True, default=str)

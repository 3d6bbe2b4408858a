"""What the lifecycle works on: a model, where it came from, and the spec's analysis sections.

A spec may declare ``uncertainty:`` (uncertain parameters, see
:func:`opt_model.sensitivity.parameters_from_spec`) and ``validation:``
(pass/fail thresholds, see :func:`opt_model.sensitivity.evaluate`).  The spec
loader checks their structure; :func:`load_source` also checks their meaning
before any phase runs (a distribution's numbers, and that every target names
a constraint, resource or variable of the model), so a mistake there is an
input error with the entry's file, line and column, not a failed phase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opt_model.errors import InputFileError, ModelError, SpecError, did_you_mean
from opt_model.model import Model

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass
class LifecycleSource:
    """A model and what the lifecycle needs to know about its origin.

    ``spec_path`` is ``None`` for a model built in Python; ``uncertainty`` holds
    the entries of the spec's ``uncertainty:`` section (or those passed to
    :func:`~opt_model.lifecycle.lifecycle`), ``thresholds`` the ``validation:``
    thresholds.
    """

    model: Model
    spec_path: Path | None
    name: str
    uncertainty: list[dict[str, Any]] | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    from_spec: bool = False
    """Whether ``uncertainty`` and ``thresholds`` are the spec's own sections (the commands read them too)."""

    @property
    def base_dir(self) -> Path:
        return self.spec_path.parent if self.spec_path is not None else Path.cwd()


def _plain(value: Any) -> Any:
    """Spec containers (which remember positions) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def check_parameters(model: Model, entries: Sequence[Mapping[str, Any]], base_dir: Path | None = None,
                     file: str | None = None, locations: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The entries as plain dicts, once each one is known to make sense for ``model``.

    Raises :class:`SpecError` (at the entry's position when ``locations`` give
    it) for a bad distribution or a target the model does not have.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model(); x = m.add_variable("x", ub=1); _ = m.add_resource("cpu", capacity=2).add_usage(1.0 * x)
    >>> m.maximize(x)
    >>> check_parameters(m, [{"target": "capacity", "of": "cpu", "distribution": "relative", "percent": 5}])
    [{'target': 'capacity', 'of': 'cpu', 'distribution': 'relative', 'percent': 5}]
    >>> try:
    ...     check_parameters(m, [{"target": "capacity", "of": "cpus", "distribution": "relative", "percent": 5}])
    ... except om.SpecError as error:
    ...     print(error)
    uncertainty[0]: unknown constraint or resource 'cpus'; did you mean 'cpu'?
    """
    from opt_model.sensitivity.problem import AnalysisModel
    from opt_model.sensitivity.targets import resolve_plan as build_plan  # also block coefficients, as robustness
    from opt_model.sensitivity.uncertainty import parameters_from_spec

    plain = [_plain(entry) for entry in entries]
    if not plain:
        return plain
    analysis = AnalysisModel.from_model(model)
    for position, entry in enumerate(plain):
        loc = locations[position] if position < len(locations) else None
        line, column = (getattr(loc, "line", None), getattr(loc, "column", None))
        try:
            parameter = parameters_from_spec([entry], base_dir=base_dir)[0]
        except SpecError as error:
            raise SpecError(error.reason.replace("uncertainty[0]", f"uncertainty[{position}]"), file, line,
                            column) from None
        try:
            build_plan(analysis, [parameter])
        except ModelError as error:
            raise SpecError(f"uncertainty[{position}]: {error}", file, line, column) from None
    return plain


def check_thresholds(thresholds: Mapping[str, Any], file: str | None = None, line: int | None = None
                     ) -> dict[str, float]:
    """Validation thresholds as floats; an unknown name or a non-number is a :class:`SpecError`.

    Example
    -------
    >>> check_thresholds({"min_feasible_probability": 1})
    {'min_feasible_probability': 1.0}
    """
    from opt_model.sensitivity.validation import THRESHOLDS

    checked: dict[str, float] = {}
    for name, value in thresholds.items():
        if name not in THRESHOLDS:
            hint = did_you_mean(str(name), THRESHOLDS, f"; known: {', '.join(THRESHOLDS)}")
            raise SpecError(f"validation: unknown threshold {name!r}{hint}", file, line, 1 if line else None)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"validation: {name} must be a number, got {value!r}", file, line, 1 if line else None)
        checked[str(name)] = float(value)
    return checked


def load_source(path: str | Path) -> LifecycleSource:
    """Load a YAML spec with its ``uncertainty:`` and ``validation:`` sections, checked.

    Raises :class:`~opt_model.errors.InputFileError` for a missing or
    non-YAML file and :class:`~opt_model.errors.SpecError` (with file, line and
    column) for an invalid spec.

    Example
    -------
    >>> source = load_source("problems/diet.yaml")
    >>> source.name, source.thresholds
    ('diet', {})
    """
    from opt_model.spec import load_spec

    spec_path = Path(path)
    if not spec_path.is_file():
        raise InputFileError(f"{spec_path}: no such spec file")
    if spec_path.suffix.lower() not in SPEC_SUFFIXES:
        raise InputFileError(f"{spec_path}: the lifecycle takes a YAML spec (.yaml); convert MPS/LP files with "
                             "'opt-model convert FILE --to yaml' or pass a Model to opt_model.lifecycle.lifecycle")
    model = load_spec(spec_path)
    document = getattr(model.metadata.get("spec"), "document", None) or {}
    file = str(spec_path)
    entries = document.get("uncertainty")
    parameters = None
    if entries:
        locations = [entries.item_loc(k) for k in range(len(entries))] if hasattr(entries, "item_loc") else []
        parameters = check_parameters(model, entries, spec_path.resolve().parent, file, locations)
    validation = document.get("validation") or {}
    line = getattr(document.value_loc("validation"), "line", None) if hasattr(document, "value_loc") else None
    thresholds = check_thresholds(validation, file, line)
    return LifecycleSource(model, spec_path, spec_path.stem, parameters, thresholds, from_spec=True)


def as_source(item: Model | str | Path | LifecycleSource, *,
              uncertainty: Sequence[Mapping[str, Any]] | None = None,
              thresholds: Mapping[str, float] | None = None) -> LifecycleSource:
    """A :class:`LifecycleSource` from a spec path or a :class:`Model`; explicit arguments win over the spec's.

    Example
    -------
    >>> import opt_model as om
    >>> m = om.Model("tiny"); x = m.add_variable("x", ub=1); m.maximize(x)
    >>> as_source(m, thresholds={"min_feasible_probability": 0.9}).thresholds
    {'min_feasible_probability': 0.9}
    """
    if isinstance(item, LifecycleSource):
        source = item
    elif isinstance(item, (str, Path)):
        source = load_source(item)
    elif isinstance(item, Model):
        from opt_model.sensitivity.problem import spec_section

        spec_file = str(getattr(item.metadata.get("spec"), "path", "") or "")
        path = Path(spec_file) if spec_file and Path(spec_file).is_file() else None
        section = spec_section(item, "uncertainty")
        validation = spec_section(item, "validation")
        source = LifecycleSource(item, path, path.stem if path is not None else item.name,
                                 check_parameters(item, section, path.parent if path else None)
                                 if isinstance(section, list) and section else None,
                                 check_thresholds(validation) if isinstance(validation, Mapping) else {})
    else:
        raise InputFileError(f"lifecycle takes a Model or the path of a YAML spec, got {type(item).__name__}")
    if uncertainty is not None:
        source.uncertainty = check_parameters(source.model, uncertainty, source.base_dir)
        source.from_spec = False
    if thresholds is not None:
        source.thresholds = check_thresholds(thresholds)
        source.from_spec = False
    return source

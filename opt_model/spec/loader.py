"""Reading YAML specs safely, keeping the line and column of every node.

:func:`read_yaml` parses with a :class:`yaml.SafeLoader` subclass that

* builds :class:`SpecMap` / :class:`SpecList` containers that remember where
  each of their keys and values was written (:class:`Loc`, 1-based);
* rejects duplicate keys (every duplicate is reported, not only the first);
* resolves plain scalars the YAML 1.2 way: ``1e3`` and ``2.5E-3`` are numbers
  (PyYAML's YAML 1.1 rules read them as strings), only ``true``/``false`` are
  booleans (``no``, ``on``, ``NO`` stay strings: country and host labels are
  safe), ``017`` is 17, and dates stay strings;
* turns syntax errors into :class:`~opt_model.errors.SpecError` with the
  position PyYAML reports;
* enforces the input limits of ``docs/limits.md`` before any value is built:
  the document size (:data:`MAX_SPEC_BYTES`), the nesting depth
  (:data:`MAX_NESTING`) and the number of nodes once aliases are expanded
  (:data:`MAX_NODES`, which stops "billion laughs" documents), each reported
  with its line and column.

Nothing is ever passed to ``eval``; only the plain YAML tags (``!!str``,
``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!map``, ``!!seq``) are
accepted, and a tagged value that does not fit its tag is a located error.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from opt_model.errors import SpecError

MAX_SPEC_BYTES = 10 * 2 ** 20
"""Largest spec file read, in bytes (10 MiB); put bigger data in CSV files."""
MAX_NESTING = 64
"""Deepest nesting of mappings and lists in a spec."""
MAX_NODES = 1_000_000
"""Most values (mappings, lists and scalars) in a spec once YAML aliases are expanded."""

try:  # libyaml's parser is faster and reports the same marks
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


@dataclass(frozen=True)
class Loc:
    """Where a node was written: file, 1-based line and column, and the scalar style.

    ``style`` is PyYAML's: ``None`` or ``""`` for plain scalars, ``'"'`` or
    ``"'"`` for quoted ones, ``"|"``/``">"`` for block scalars; expressions use
    it to point the column at the offending part of a string.
    """

    file: str
    line: int
    column: int
    style: str | None = None
    end_line: int | None = None

    def error(self, message: str) -> SpecError:
        return SpecError(message, self.file, self.line, self.column)

    def shifted(self, offset: int) -> Loc:
        """The location ``offset`` characters into a one-line scalar (its start when that is unknown)."""
        if self.style in ("|", ">") or (self.end_line is not None and self.end_line != self.line):
            return self
        quote = 1 if self.style in ('"', "'") else 0
        return Loc(self.file, self.line, self.column + quote + offset, self.style, self.end_line)


class SpecMap(dict):
    """A mapping from a spec that knows where each key and value was written."""

    loc: Loc
    key_locs: dict[Any, Loc]
    value_locs: dict[Any, Loc]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc = Loc("<spec>", 1, 1)
        self.key_locs = {}
        self.value_locs = {}

    def key_loc(self, key: Any) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: Any) -> Loc:
        return self.value_locs.get(key, self.loc)


class SpecList(list):
    """A sequence from a spec that knows where each item was written."""

    loc: Loc
    item_locs: list[Loc]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc = Loc("<spec>", 1, 1)
        self.item_locs = []

    def item_loc(self, index: int) -> Loc:
        return self.item_locs[index] if 0 <= index < len(self.item_locs) else self.loc


def loc_of(container: Any, key: Any, fallback: Loc) -> Loc:
    """Location of ``container[key]`` (a value) or ``fallback`` for plain containers."""
    if isinstance(container, SpecMap):
        return container.value_loc(key)
    if isinstance(container, SpecList) and isinstance(key, int):
        return container.item_loc(key)
    return fallback


_LARGEST = 1.7976931348623157e308

# YAML 1.2 core-schema resolvers --------------------------------------------------------------
_FLOAT = re.compile(r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
                        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class _Resolver(yaml.resolver.Resolver):
    pass


_Resolver.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
    ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
    ("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789.")),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"]),
):
    _Resolver.add_implicit_resolver(_tag, _regexp, _first)


class SpecLoader(_BaseLoader):
    """Safe loader with marks, YAML 1.2 scalars and duplicate-key detection.

    Use :func:`read_yaml` rather than this class directly.
    """

    yaml_implicit_resolvers = _Resolver.yaml_implicit_resolvers

    def __init__(self, stream: Any, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.problems: list[SpecError] = []

    def loc(self, node: yaml.Node) -> Loc:
        start, end = node.start_mark, node.end_mark
        style = getattr(node, "style", None)
        return Loc(self.file, start.line + 1, start.column + 1, style, end.line + 1 if end else None)

    def construct_spec_map(self, node: yaml.MappingNode) -> SpecMap:
        self.flatten_mapping(node)
        result = SpecMap()
        result.loc = self.loc(node)
        result.key_locs = {}
        result.value_locs = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (dict, list)) or not _hashable(key):
                self.problems.append(self.loc(key_node).error("a mapping key must be a plain value, not a "
                                                              "mapping or a list"))
                continue
            if key in result:
                first = result.key_locs.get(key, result.loc)
                self.problems.append(self.loc(key_node).error(
                    f"duplicate key {key!r} (first given at line {first.line}); keep one of them"))
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_locs[key] = self.loc(key_node)
            result.value_locs[key] = self.loc(value_node)
        return result

    def construct_spec_list(self, node: yaml.SequenceNode) -> SpecList:
        result = SpecList(self.construct_object(child, deep=True) for child in node.value)
        result.loc = self.loc(node)
        result.item_locs = [self.loc(child) for child in node.value]
        return result

    def _bad_scalar(self, node: yaml.Node, what: str) -> None:
        shown = str(node.value)
        shown = shown if len(shown) <= 40 else shown[:40] + "..."
        self.problems.append(self.loc(node).error(f"{shown!r} is not {what} (it is tagged {_short_tag(node.tag)}); "
                                                  "fix the value or drop the tag"))

    def construct_yaml12_int(self, node: yaml.ScalarNode) -> int | None:
        text = str(self.construct_scalar(node)).strip().replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        try:
            if len(digits) > 4000:
                raise ValueError("too many digits")
            if digits.startswith("0o"):
                value = sign * int(digits[2:], 8)
            elif digits.startswith("0x"):
                value = sign * int(digits[2:], 16)
            else:
                value = sign * int(digits, 10)
        except ValueError:
            self._bad_scalar(node, "a whole number")
            return None
        if abs(value) > _LARGEST:
            self.problems.append(self.loc(node).error(
                f"the number {text[:20]}... has {len(digits)} digits, too large for a number (the largest is about "
                "1.8e308); write .inf for infinity"))
            return None
        return value

    def construct_yaml12_float(self, node: yaml.ScalarNode) -> float | None:
        text = str(self.construct_scalar(node)).strip().lower()
        if text.endswith(".inf") and text.lstrip("+-") == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        if _FLOAT.match(text) or _INT.match(text):
            try:
                value = float(int(text, 0) if text.lstrip("+-").startswith(("0x", "0o")) else text)
            except (ValueError, OverflowError):
                value = math.inf
            if math.isinf(value):
                self.problems.append(self.loc(node).error(
                    f"the number {text[:30]!r} is too large for a number (the largest is about 1.8e308); "
                    "write .inf for infinity"))
                return None
            return value
        self._bad_scalar(node, "a number")
        return None

    def construct_yaml12_bool(self, node: yaml.ScalarNode) -> bool | None:
        text = str(self.construct_scalar(node)).strip().lower()
        if text in ("true", "false"):
            return text == "true"
        self._bad_scalar(node, "true or false")
        return None

    def construct_yaml12_null(self, node: yaml.ScalarNode) -> None:
        if not _NULL.match(str(self.construct_scalar(node)).strip()):
            self._bad_scalar(node, "null")

    def construct_undefined(self, node: yaml.Node) -> Any:
        self.problems.append(self.loc(node).error(
            f"the YAML tag {_short_tag(node.tag)} is not allowed in a spec; write plain values"))
        return None


SpecLoader.add_constructor("tag:yaml.org,2002:map", SpecLoader.construct_spec_map)
SpecLoader.add_constructor("tag:yaml.org,2002:seq", SpecLoader.construct_spec_list)
SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_yaml12_int)
SpecLoader.add_constructor("tag:yaml.org,2002:float", SpecLoader.construct_yaml12_float)
SpecLoader.add_constructor("tag:yaml.org,2002:bool", SpecLoader.construct_yaml12_bool)
SpecLoader.add_constructor("tag:yaml.org,2002:null", SpecLoader.construct_yaml12_null)
for _other in ("binary", "set", "omap", "pairs", "timestamp", "value", "yaml"):
    SpecLoader.add_constructor(f"tag:yaml.org,2002:{_other}", SpecLoader.construct_undefined)
SpecLoader.add_constructor(None, SpecLoader.construct_undefined)


def _short_tag(tag: str | None) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag and tag.startswith("tag:yaml.org,2002:") \
        else repr(tag)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def check_limits(node: yaml.Node | None, file: str) -> None:
    """Refuse a composed document that is too deep or too large once its aliases are expanded.

    Walks the node graph once without recursion; an alias counts the whole
    subtree it repeats, so a "billion laughs" document is refused after a
    few hundred nodes of work, and a recursive alias is refused outright.
    """
    if node is None:
        return
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        children = _children(current)
        if not done:
            if key in size:
                continue
            if key in on_path:
                mark = current.start_mark
                raise SpecError("an alias refers to a mapping or list that contains it; a spec cannot be "
                                "recursive", file, mark.line + 1, mark.column + 1)
            on_path.add(key)
            if len(on_path) > MAX_NESTING:
                mark = current.start_mark
                raise SpecError(f"the spec nests mappings and lists more than {MAX_NESTING} levels deep; "
                                "flatten it (see docs/limits.md)", file, mark.line + 1, mark.column + 1)
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in size)
            continue
        on_path.discard(key)
        size[key] = 1 + sum(size[id(child)] for child in children)
        depth[key] = 1 + max((depth[id(child)] for child in children), default=0)
        if size[key] > MAX_NODES:
            mark = current.start_mark
            raise SpecError(f"the spec has more than {MAX_NODES:,} values once its YAML aliases (*name) are "
                            "expanded; use fewer aliases or put the data in a CSV file (see docs/limits.md)",
                            file, mark.line + 1, mark.column + 1)
        if depth[key] > MAX_NESTING:
            mark = current.start_mark
            raise SpecError(f"the spec nests mappings and lists more than {MAX_NESTING} levels deep "
                            "(through aliases); flatten it (see docs/limits.md)", file, mark.line + 1,
                            mark.column + 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return []


def parse_yaml(text: str, file: str = "<spec>") -> Any:
    """Parse YAML text into :class:`SpecMap`/:class:`SpecList` containers with locations.

    Raises :class:`~opt_model.errors.SpecError` listing every duplicate key, or
    the syntax error with its position.

    Example
    -------
    >>> doc = parse_yaml("version: 1\\ndims:\\n  host: [h1, h2]\\nbig: 1e3\\n", "spec.yaml")
    >>> doc["big"], doc["dims"].value_loc("host").line
    (1000.0, 3)
    >>> try:
    ...     parse_yaml("a: 1\\na: 2\\n", "spec.yaml")
    ... except SpecError as error:
    ...     print(error)
    spec.yaml:2:1: duplicate key 'a' (first given at line 1); keep one of them
    """
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is larger than {MAX_SPEC_BYTES // 2 ** 20} MiB; put large data in CSV files "
                        "(see docs/limits.md)", file, 1, 1)
    loader = SpecLoader(text, file)
    try:
        node = loader.get_single_node()
        check_limits(node, file)
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or "invalid YAML"
        context = f" ({error.context})" if error.context and error.problem else ""
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise SpecError(f"YAML syntax error: {problem}{context}", file, line, column) from None
    except yaml.YAMLError as error:  # reader errors (bad characters) have no problem mark
        raise SpecError(f"YAML error: {error}", file, 1, 1) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise SpecError.combine(loader.problems)
    return document


def read_yaml(path: str | Path) -> Any:
    """Read and parse a YAML spec file (see :func:`parse_yaml`)."""
    file = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_SPEC_BYTES + 1)
    except OSError as error:
        raise SpecError(f"cannot read the spec: {error.strerror}", file, None, None) from None
    except ValueError as error:  # an embedded NUL in the path
        raise SpecError(f"cannot read the spec: {error}", file, None, None) from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecError(f"the spec is larger than {MAX_SPEC_BYTES // 2 ** 20} MiB; put large data in CSV files "
                        "(see docs/limits.md)", file, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise SpecError("the spec is not UTF-8 text", file, line, 1) from None
    return parse_yaml(text, file)

"""The expression grammar: parse trees, offsets, syntax errors, and evaluation of plain numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opt_model.spec import grammar as g
from opt_model.spec.evaluate import BaseScope, Evaluator


def test_constraint_with_sum_and_quantity() -> None:
    tree = g.parse("sum(mem_need * x, over=task) <= 64 GiB")
    assert isinstance(tree, g.Compare) and tree.ops == ["<="]
    call, quantity = tree.operands
    assert isinstance(call, g.Call) and call.func.name == "sum"
    assert isinstance(call.kwargs["over"], g.Name) and call.kwargs["over"].name == "task"
    assert quantity == g.Number(32, 38, 64.0, "GiB")


def test_precedence_and_associativity() -> None:
    tree = g.parse("a - b - c * d ^ 2")
    assert isinstance(tree, g.Binary) and tree.op == "-"
    assert isinstance(tree.left, g.Binary) and tree.left.op == "-"       # (a - b) - ...
    assert isinstance(tree.right, g.Binary) and tree.right.op == "*"
    assert isinstance(tree.right.right, g.Binary) and tree.right.right.op == "^"


def test_units_after_numbers_stop_at_multiplication() -> None:
    tree = g.parse("0.12 USD/kWh * energy")
    assert isinstance(tree, g.Binary) and tree.op == "*"
    assert tree.left == g.Number(0, 12, 0.12, "USD/kWh")


def test_ranges_selections_lists_and_conditions() -> None:
    assert g.parse("lo <= e <= hi").ops == ["<=", "<="]  # type: ignore[attr-defined]
    select = g.parse("x[host='h1', task=t2]")
    assert isinstance(select, g.Select) and select.labels == {"host": ("h1", 7), "task": ("t2", 18)}
    over = g.parse("sum(x, over=[a, b])").kwargs["over"]  # type: ignore[attr-defined]
    assert [item.name for item in over.items] == ["a", "b"]
    condition = g.parse("not a > 0 and host != 'h3' or b")
    assert isinstance(condition, g.BoolOp) and condition.op == "or"


@pytest.mark.parametrize(("text", "offset", "fragment"), [
    ("x +", 3, "ends too early"),
    ("x y", 2, "operator"),
    ("sum(x, over=task", 16, "close the call"),
    ("a = b", 2, "'=='"),
    ("3 $ 4", 2, "unexpected character"),
    ("f(a=1, 2)", 7, "positional argument"),
    ("", 0, "empty"),
    ("x[host]", 6, "expected '='"),
    ("f(a=1, a=2)", 7, "given twice"),
])
def test_syntax_errors_point_at_the_problem(text: str, offset: int, fragment: str) -> None:
    with pytest.raises(g.ParseError) as caught:
        g.parse(text)
    assert caught.value.offset == offset
    assert fragment in caught.value.message


def test_names_in_lists_references_not_functions() -> None:
    names = [n.name for n in g.names_in(g.parse("sum(a * b[host='h1'], over=host) + cost(mem)"))]
    assert names == ["a", "b", "host", "mem"]


# property: the evaluator computes arithmetic on plain numbers exactly like Python --------------
@st.composite
def arithmetic(draw: st.DrawFn, depth: int = 0) -> tuple[str, float]:
    if depth > 3 or draw(st.booleans()):
        value = draw(st.integers(min_value=0, max_value=50))
        return str(value), float(value)
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    left_text, left = draw(arithmetic(depth + 1))
    right_text, right = draw(arithmetic(depth + 1))
    if op == "/" and right == 0:
        op = "+"
    value = {"+": left + right, "-": left - right, "*": left * right, "/": left / right if right else 0}[op]
    if draw(st.booleans()):
        return f"-({left_text} {op} {right_text})", -value
    return f"({left_text} {op} {right_text})", value


@settings(max_examples=150, deadline=None)
@given(arithmetic())
def test_plain_arithmetic_matches_python(case: tuple[str, float]) -> None:
    text, expected = case
    value = Evaluator(BaseScope(), text).eval(g.parse(text))
    assert value.kind == "number"
    assert value.obj == pytest.approx(expected, rel=1e-12, abs=1e-12)

"""The spec expression language: a tokenizer and a recursive-descent parser to an AST.

Expressions in specs (``usage``, ``constraints``, ``objective``, ``where``
filters, numeric fields) are parsed here and never by ``eval``.  The grammar::

    condition  := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("<=" | ">=" | "==" | "!=" | "<" | ">") sum)*     # a <= e <= b is a range
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := postfix (("^" | "**") unary)?
    postfix    := atom ("[" NAME "=" (STRING | NAME) ("," NAME "=" (STRING | NAME))* "]")?
    atom       := NUMBER unit? | STRING | NAME | NAME "(" arguments? ")" | "(" condition ")"
                | "[" NAME ("," NAME)* "]"
    unit       := NAME ("/" NAME | ("^" | "**") INTEGER)*                # 0.12 USD/kWh, 9.81 m/s^2
    arguments  := argument ("," argument)*
    argument   := NAME "=" condition | condition

A number directly followed by a name is a quantity (``16 GiB``); to divide a
quantity by a name, parenthesise it: ``(2 h) / duration``.  Every node keeps
the character offsets of its source text so that errors can point at it.

Limits (``docs/limits.md``): an expression has at most :data:`MAX_LENGTH`
characters, nests parentheses at most :data:`MAX_DEPTH` levels deep, and
parentheses, calls, signs and exponents together at most twice that; a flat sum or product of any length is fine
(it is parsed and evaluated in a loop).  Deeper input is a :class:`ParseError`
at the offending character, never a ``RecursionError``: parsing runs under
:func:`recursion_room`, which makes room for the nesting it allows.

Example
-------
>>> tree = parse("sum(mem_need * x, over=task) <= 64 GiB")
>>> type(tree).__name__, tree.ops
('Compare', ['<='])
>>> tree.operands[1]
Number(start=32, end=38, value=64.0, unit='GiB')
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

MAX_DEPTH = 1000
"""Deepest nesting of parentheses in one expression (calls, signs and exponents add up to twice that)."""
MAX_LENGTH = 1_000_000
"""Longest expression, in characters."""
FRAMES_PER_LEVEL = 16
"""Python frames that one nesting level may take while parsing or evaluating."""

KEYWORDS = frozenset({"and", "or", "not"})
COMPARISONS = frozenset({"<=", ">=", "==", "!=", "<", ">"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<op>\*\*|<=|>=|==|!=|[-+*/^()\[\],=<>])
""", re.X)


class ParseError(ValueError):
    """A syntax error at character ``offset`` of the expression."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (an ``end`` token closes the list)."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            char = text[position]
            hint = " (strings are quoted with ' or \")" if char in "\"'" else ""
            raise ParseError(f"unexpected character {char!r}{hint}", position)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# AST -----------------------------------------------------------------------------------------
@dataclass
class Node:
    start: int
    end: int

    def source(self, text: str) -> str:
        return text[self.start:self.end]


@dataclass
class Number(Node):
    value: float
    unit: str | None = None


@dataclass
class String(Node):
    value: str


@dataclass
class Name(Node):
    name: str


@dataclass
class Unary(Node):
    op: str
    operand: Node


@dataclass
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass
class Compare(Node):
    ops: list[str]
    operands: list[Node]


@dataclass
class BoolOp(Node):
    op: str
    operands: list[Node]


@dataclass
class Not(Node):
    operand: Node


@dataclass
class ListOf(Node):
    items: list[Name]


@dataclass
class Call(Node):
    func: Name
    args: list[Node] = field(default_factory=list)
    kwargs: dict[str, Node] = field(default_factory=dict)


@dataclass
class Select(Node):
    target: Node
    labels: dict[str, tuple[str, int]]  # dim name -> (label, offset of the label)


_room_lock = threading.Lock()
_room_users = 0
_room_saved = 0


@contextmanager
def recursion_room(levels: int = 2 * MAX_DEPTH) -> Iterator[None]:
    """Run a block with room for ``levels`` nesting levels of recursion (thread-safe).

    The interpreter's recursion limit is raised while any thread is inside
    such a block and restored when the last one leaves.  On Python 3.11+ calls
    between Python functions take no C stack, so a higher limit is safe.
    """
    global _room_users, _room_saved
    needed = _frame_depth() + levels * FRAMES_PER_LEVEL + 1000
    with _room_lock:
        if _room_users == 0:
            _room_saved = sys.getrecursionlimit()
        _room_users += 1
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        with _room_lock:
            _room_users -= 1
            if _room_users == 0:
                sys.setrecursionlimit(_room_saved)


def _frame_depth() -> int:
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    return depth


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        if len(text) > MAX_LENGTH:
            raise ParseError(f"the expression has {len(text):,} characters, more than the limit of "
                             f"{MAX_LENGTH:,}; split it into named expressions", 0)
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.parens = 0

    def enter(self, token: Token, paren: bool = False) -> None:
        """One nesting level deeper (at ``token``); refuses past :data:`MAX_DEPTH` parentheses."""
        self.depth += 1
        self.parens += paren
        if self.parens > MAX_DEPTH:
            raise ParseError(f"the expression nests parentheses more than {MAX_DEPTH} levels deep; split it into "
                             "named expressions", token.start)
        if self.depth > 2 * MAX_DEPTH:
            raise ParseError(f"the expression nests parentheses, calls, signs or exponents more than "
                             f"{2 * MAX_DEPTH} levels deep; split it into named expressions", token.start)

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        return token.kind in ("op", "name") and token.text in texts

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise ParseError(f"expected {text!r} {what}, found {self._found()}", self.token.start)
        return self.advance()

    def _found(self) -> str:
        token = self.token
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    # grammar rules ---------------------------------------------------------------------------
    def parse(self) -> Node:
        if self.token.kind == "end":
            raise ParseError("the expression is empty", 0)
        node = self.condition()
        if self.token.kind != "end":
            token = self.token
            hint = ""
            if token.kind in ("name", "number") and self.index > 0:
                hint = "; an operator (+, -, *, /) is missing before it"
            raise ParseError(f"unexpected {self._found()}{hint}", token.start)
        return node

    def condition(self) -> Node:
        return self.or_expr()

    def or_expr(self) -> Node:
        node = self.and_expr()
        operands = [node]
        while self.at("or"):
            self.advance()
            operands.append(self.and_expr())
        return node if len(operands) == 1 else BoolOp(node.start, operands[-1].end, "or", operands)

    def and_expr(self) -> Node:
        node = self.not_expr()
        operands = [node]
        while self.at("and"):
            self.advance()
            operands.append(self.not_expr())
        return node if len(operands) == 1 else BoolOp(node.start, operands[-1].end, "and", operands)

    def not_expr(self) -> Node:
        if self.at("not"):
            token = self.advance()
            self.enter(token)
            operand = self.not_expr()
            self.depth -= 1
            return Not(token.start, operand.end, operand)
        return self.comparison()

    def comparison(self) -> Node:
        first = self.sum()
        ops: list[str] = []
        operands = [first]
        while self.token.kind == "op" and self.token.text in COMPARISONS:
            ops.append(self.advance().text)
            operands.append(self.sum())
        if self.at("="):
            raise ParseError("'=' is not a comparison; write '==' for equality", self.token.start)
        if not ops:
            return first
        return Compare(first.start, operands[-1].end, ops, operands)

    def sum(self) -> Node:
        node = self.product()
        while self.at("+", "-"):
            op = self.advance().text
            right = self.product()
            node = Binary(node.start, right.end, op, node, right)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            op = self.advance().text
            right = self.unary()
            node = Binary(node.start, right.end, op, node, right)
        return node

    def unary(self) -> Node:
        if self.at("-", "+"):
            token = self.advance()
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            return Unary(token.start, operand.end, token.text, operand)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("^", "**"):
            self.enter(self.advance())
            exponent = self.unary()
            self.depth -= 1
            return Binary(base.start, exponent.end, "^", base, exponent)
        return base

    def postfix(self) -> Node:
        node = self.atom()
        if self.at("["):
            self.advance()
            labels: dict[str, tuple[str, int]] = {}
            while True:
                dim = self.token
                if dim.kind != "name":
                    raise ParseError(f"expected a dimension name in the selection, found {self._found()}", dim.start)
                self.advance()
                self.expect("=", "after the dimension name (write x[host='h1'])")
                label = self.token
                if label.kind == "string":
                    value = label.text[1:-1]
                elif label.kind in ("name", "number"):
                    value = label.text
                else:
                    raise ParseError(f"expected a label, found {self._found()}", label.start)
                self.advance()
                if dim.text in labels:
                    raise ParseError(f"dimension {dim.text!r} is selected twice", dim.start)
                labels[dim.text] = (value, label.start)
                if not self.at(","):
                    break
                self.advance()
            end = self.expect("]", "to close the selection").end
            node = Select(node.start, end, node, labels)
        return node

    def atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.advance()
            value = float(token.text)
            if value == float("inf"):
                raise ParseError(f"the number {token.text[:30]} is too large (the largest is about 1.8e308)",
                                 token.start)
            if self.token.kind == "name" and self.token.text not in KEYWORDS:
                unit_start = self.token.start
                unit_end = self.unit()
                return Number(token.start, unit_end, value, self.text[unit_start:unit_end])
            return Number(token.start, token.end, value)
        if token.kind == "string":
            self.advance()
            return String(token.start, token.end, token.text[1:-1])
        if token.kind == "name":
            if token.text in KEYWORDS:
                raise ParseError(f"{token.text!r} needs a condition on its left", token.start)
            self.advance()
            name = Name(token.start, token.end, token.text)
            if self.at("("):
                return self.call(name)
            return name
        if self.at("("):
            self.enter(self.advance(), paren=True)
            node = self.condition()
            self.depth -= 1
            self.parens -= 1
            end = self.expect(")", "to close the parenthesis").end
            node.start, node.end = token.start, end  # parentheses belong to the node's text
            return node
        if self.at("["):
            self.advance()
            items: list[Name] = []
            while True:
                item = self.token
                if item.kind != "name":
                    raise ParseError(f"expected a dimension name in the list, found {self._found()}", item.start)
                self.advance()
                items.append(Name(item.start, item.end, item.text))
                if not self.at(","):
                    break
                self.advance()
            end = self.expect("]", "to close the list").end
            return ListOf(token.start, end, items)
        if token.kind == "end":
            raise ParseError("the expression ends too early; an operand is missing", token.start)
        raise ParseError(f"unexpected {self._found()}", token.start)

    def unit(self) -> int:
        """Consume a unit after a number; returns the end offset of the unit text."""
        end = self.advance().end
        while True:
            following = self.tokens[self.index + 1].kind if self.index + 1 < len(self.tokens) else "end"
            if (self.at("/") and following == "name") or (self.at("^", "**") and following == "number"):
                self.advance()
                end = self.advance().end
            else:
                return end

    def call(self, func: Name) -> Call:
        self.enter(self.expect("(", ""))
        args: list[Node] = []
        kwargs: dict[str, Node] = {}
        if not self.at(")"):
            while True:
                token = self.token
                if token.kind == "name" and self.tokens[self.index + 1].text == "=" \
                        and self.tokens[self.index + 1].kind == "op":
                    self.advance()
                    self.advance()
                    if token.text in kwargs:
                        raise ParseError(f"argument {token.text!r} is given twice", token.start)
                    kwargs[token.text] = self.condition()
                else:
                    if kwargs:
                        raise ParseError("a positional argument cannot follow a keyword argument", token.start)
                    args.append(self.condition())
                if not self.at(","):
                    break
                self.advance()
        self.depth -= 1
        end = self.expect(")", f"to close the call of {func.name}()").end
        return Call(func.start, end, func, args, kwargs)


def parse(text: str) -> Node:
    """Parse an expression, constraint or condition into an AST.

    Raises :class:`ParseError` with the character offset of the problem,
    also for input past the limits (:data:`MAX_LENGTH`, :data:`MAX_DEPTH`).

    Example
    -------
    >>> parse("(" * 1000 + "x" + ")" * 1000)
    Name(start=0, end=2001, name='x')
    >>> try:
    ...     parse("(" * 1001 + "x" + ")" * 1001)
    ... except ParseError as error:
    ...     print(error.offset, error.message.split(";")[0])
    1000 the expression nests parentheses more than 1000 levels deep
    """
    with recursion_room():
        return _Parser(text).parse()


def names_in(node: Node) -> list[Name]:
    """Every :class:`Name` referenced by ``node`` (not function names or keyword names)."""
    found: list[Name] = []
    stack = [node]
    while stack:  # a loop, not recursion: ASTs can be 10,000 terms deep
        item = stack.pop()
        if isinstance(item, Name):
            found.append(item)
        elif isinstance(item, Unary | Not):
            stack.append(item.operand)
        elif isinstance(item, Binary):
            stack.extend((item.right, item.left))
        elif isinstance(item, Compare | BoolOp):
            stack.extend(reversed(item.operands))
        elif isinstance(item, Call):
            stack.extend(reversed([*item.args, *item.kwargs.values()]))
        elif isinstance(item, Select):
            stack.append(item.target)
    return found

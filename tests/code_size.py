"""How much code a model takes, measured so that formatting cannot change the answer.

The measure is the number of syntax-tree nodes (Python's `ast`) in a model's code: names,
calls, constants, operators, statements. A formatter such as `ruff format` guarantees it
leaves the syntax tree unchanged, so line breaks, spacing and trailing commas cannot
flatter either side. Beside it, for a reader's sense of size: non-blank, non-comment lines
after `ruff format` (line length 100, the project's setting).

Used by tests/test_readme.py (the README's table must equal the measure) and
benchmarks/bench_code_size.py (prints the table).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SEEDS = ("s0a", "s0b", "s1a", "s1b", "s2a", "s2b", "s2c", "s3a", "s3b")


def ast_nodes(source: str) -> int:
    """Syntax-tree nodes in `source`, without load/store markers and the module itself."""
    tree = ast.parse(textwrap.dedent(source))
    return sum(not isinstance(n, (ast.expr_context, ast.Module)) for n in ast.walk(tree))


def formatted_lines(source: str) -> int:
    """Non-blank, non-comment lines of `source` after `ruff format --line-length 100`."""
    ruff = Path(sys.executable).with_name("ruff")
    out = subprocess.run(
        [str(ruff), "format", "--line-length", "100", "-"],
        input=textwrap.dedent(source),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def body(function: Callable[..., Any]) -> str:
    """The statements of a function, without its `def` line, signature and docstring."""
    (node,) = ast.parse(textwrap.dedent(inspect.getsource(function))).body
    assert isinstance(node, ast.FunctionDef)
    statements = node.body
    first = statements[0] if statements else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        statements = statements[1:]
    return "\n".join(ast.unparse(s) for s in statements)


def readme_block(label: str) -> str:
    """The README's python block that starts with the comment `# {label}`."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    (block,) = [b for b in blocks if b.startswith(f"# {label}\n")]
    return block


def pairs() -> list[tuple[str, str, str]]:
    """(case, funcnet source, raw Keras source) for every model written both ways."""
    found = []
    for label in ("S0a", "S3b"):
        found.append(
            (
                f"README {label} (build, compile, fit)",
                readme_block(f"{label} with funcnet"),
                readme_block(f"{label} with raw Keras"),
            )
        )
    seeds = importlib.import_module("tests.test_seed_cases")
    for seed in SEEDS:
        mine, theirs = getattr(seeds, f"{seed}_funcnet"), getattr(seeds, f"{seed}_keras")
        found.append((f"seed {seed[:2].upper()}{seed[2:]} (build)", body(mine), body(theirs)))
    try:
        real = importlib.import_module("tests.real_models")
    except ModuleNotFoundError:
        return found
    for name, mine in inspect.getmembers(real, inspect.isfunction):
        if name.endswith("_funcnet") and mine.__module__ == real.__name__:
            theirs = getattr(real, name.removesuffix("_funcnet") + "_keras")
            found.append((f"{name.removesuffix('_funcnet')} (build)", body(mine), body(theirs)))
    return found


def table() -> list[tuple[str, int, int, float, int, int]]:
    """(case, funcnet nodes, raw Keras nodes, ratio, funcnet lines, raw Keras lines)."""
    rows = []
    for case, mine, theirs in pairs():
        ours, raw = ast_nodes(mine), ast_nodes(theirs)
        rows.append(
            (case, ours, raw, round(ours / raw, 2), formatted_lines(mine), formatted_lines(theirs))
        )
    return rows


def markdown(rows: list[tuple[str, int, int, float, int, int]]) -> str:
    """The rows as the README's table."""
    lines = [
        "| model | funcnet nodes | raw Keras nodes | ratio | funcnet lines | raw Keras lines |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {c} | {a} | {b} | {r:.2f} | {la} | {lb} |" for c, a, b, r, la, lb in rows]
    return "\n".join(lines)

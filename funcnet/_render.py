"""Turning DOT text into PNG, SVG or PDF, with or without a system Graphviz.

Graphviz's `dot` is used when it is on PATH. Without it, `graphviz-pure` draws PNG and
SVG: a Rust port of Graphviz installed by pip with funcnet (a static program in the
environment's scripts folder, fonts included), so pictures work on machines where no
system package can be installed. It draws no PDF yet: a PDF without `dot` is refused
with what to do instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from funcnet._errors import FuncnetError

PURE = "graphviz-pure"
INSTALL = (
    "Install the renderer funcnet uses when Graphviz is missing with: pip install "
    "graphviz-pure; or install Graphviz's 'dot' program: apt-get install graphviz "
    "(Debian/Ubuntu), brew install graphviz (macOS), or conda install -c conda-forge "
    "graphviz (conda)."
)
# Graphviz says this when a bitmap would pass its size limit and it scales the drawing.
_SHRUNK = re.compile(r"[Ss]caling by ([0-9.]+)")
# graphviz-pure measures non-ASCII text (the times sign, arrows) by a space's width; the
# output is still right.
_NOISE = ("non-ASCII character",)
# The largest bitmap side funcnet draws, half Graphviz's own limit: a taller picture is
# unreadable and slow to draw (depth= makes an overview instead).
_MAX_SIDE = 16384


@dataclass(frozen=True)
class Rendered:
    """What a renderer drew: the bytes, and how much it had to shrink."""

    data: bytes
    scale: float | None = None  # how much Graphviz shrank a bitmap to fit, when it says
    shrunk: bool = False  # True whenever a bitmap was shrunk to fit


def renderer(fmt: str) -> str:
    """The program that draws `fmt`: `dot` when on PATH, else graphviz-pure.

    Raises:
        FuncnetError: no program can draw `fmt` (a PDF without `dot`, or no renderer).
    """
    dot = shutil.which("dot")
    if dot:
        return dot
    pure = pure_renderer()
    if fmt == "pdf":
        raise FuncnetError(
            "A PDF needs Graphviz's 'dot' program, which was not found on PATH "
            f"({PURE}, which draws pictures without it, writes no PDF yet). Save the "
            "picture as .svg (vector, prints well) or .png, or install Graphviz: "
            "apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), "
            "or conda install -c conda-forge graphviz (conda)."
        )
    if pure is None:
        raise FuncnetError(f"No program to draw pictures was found. {INSTALL}")
    return pure


def pure_renderer() -> str | None:
    """The graphviz-pure program: on PATH, or beside this Python (a venv not activated)."""
    found = shutil.which(PURE)
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / PURE
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def render(source: str, fmt: str) -> Rendered:
    """Draws DOT `source` as `fmt` ("png", "svg" or "pdf").

    Raises:
        FuncnetError: no renderer for `fmt`, or the renderer failed (its message quoted).
    """
    program = renderer(fmt)
    # A bitmap over _MAX_SIDE pixels is slow to draw and unreadable, and graphviz-pure,
    # which has no limit of its own, aborts on a huge one: Graphviz's `size` (in inches)
    # shrinks the drawing to fit, and the PNG's own size shows when it did.
    inches = f"{_MAX_SIDE / _dpi(source):.3f}"
    extra = [f"-Gsize={inches},{inches}"] if fmt == "png" else []
    data, messages = _run(program, source, fmt, extra)
    said = next((m for m in map(_SHRUNK.search, messages) if m), None)
    scale = float(said.group(1)) if said else None
    capped = fmt == "png" and max(_png_size(data)) >= _MAX_SIDE - 1
    return Rendered(data, scale, shrunk=scale is not None or capped)


def _dpi(source: str) -> float:
    found = re.search(r"^dpi=\"?([0-9.]+)", source, flags=re.M)
    return float(found.group(1)) if found else 96.0


def _png_size(data: bytes) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        return (0, 0)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _run(program: str, source: str, fmt: str, extra: list[str]) -> tuple:
    """Runs the renderer; returns (bytes, its messages) or raises with its message."""
    name = Path(program).name
    try:
        done = subprocess.run(
            [program, f"-T{fmt}", *extra],
            input=source.encode(),
            capture_output=True,
            check=False,
        )
    except OSError as err:
        raise FuncnetError(f"Could not run {name} to draw the {fmt}: {err}. {INSTALL}") from None
    messages = [
        line.strip()
        for line in done.stderr.decode(errors="replace").splitlines()
        if line.strip() and not any(noise in line for noise in _NOISE)
    ]
    if done.returncode != 0 or not done.stdout:
        detail = " ".join(messages[:3]) or f"exit status {done.returncode}"
        raise FuncnetError(f"Graphviz ({name}) failed to draw the {fmt}: {detail}")
    return done.stdout, messages

"""The README's code runs, and its line-count table is what the code blocks say."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def code_lines(block: str) -> int:
    return sum(
        1 for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )


def labelled(label: str) -> str:
    (block,) = [b for b in python_blocks() if b.startswith(f"# {label}\n")]
    return block


# A block whose first line names a backend runs in that backend's pass of make test only.
BACKEND_BLOCKS = {"# TensorFlow backend": "tensorflow", "# JAX backend": "jax"}


def runs_here(block: str) -> bool:
    named = [b for prefix, b in BACKEND_BLOCKS.items() if block.startswith(prefix)]
    return keras.backend.backend() in named if named else True


def test_every_python_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    try:
        for block in filter(runs_here, python_blocks()):
            exec(compile(block, str(README), "exec"), namespace)  # running the docs is the test
    finally:
        keras.distribution.set_distribution(None)  # the JAX block sets one for the process
    assert (tmp_path / "cnn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("case", ["S0a", "S3b"])
def test_funcnet_takes_at_most_half_the_lines(case: str) -> None:
    ours = code_lines(labelled(f"{case} with funcnet"))
    theirs = code_lines(labelled(f"{case} with raw Keras"))
    assert ours * 2 <= theirs
    row = re.search(
        rf"^\| {case}\s*\|\s*(\d+) \|\s*(\d+) \|\s*([\d.]+) \|$", README.read_text(), re.M
    )
    assert row, f"no {case} row in the README's table"
    assert (int(row[1]), int(row[2]), float(row[3])) == (ours, theirs, round(ours / theirs, 2))

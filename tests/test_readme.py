"""The README's code runs, and its code-size table is what tests/code_size.py measures."""

from __future__ import annotations

import re
from pathlib import Path

import keras
import pytest

from tests.code_size import README, markdown, table


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


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


def test_code_size_table_is_what_the_code_measures() -> None:
    shown = re.search(
        r"<!-- code-size table: start -->\n(.*?)\n<!-- code-size table: end -->",
        README.read_text(),
        flags=re.S,
    )
    assert shown, "the README lost its code-size table markers"
    assert shown[1] == markdown(table()), "run: make bench (bench_code_size.py --write)"

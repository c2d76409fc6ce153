"""Bad input and hostile conditions for pictures, their files and the command line.

The picture and file classes of the second catalogue: interrupted writes, the user's own
`.dot`, symlinks, permissions, pictures Graphviz shrinks, `dpi` and `depth` that are not
numbers, PDF without `dot`, and the command line on saved files, factories that parse
`sys.argv` and subclassed models. Each row asserts the outcome and that the message names
the culprit.
"""

from __future__ import annotations

import math
import os
import re
import stat
import warnings
from pathlib import Path
from typing import Any
from unittest import mock

import keras
import pytest

import funcnet as fn
from funcnet._cli import main as cli
from tests.test_catalogue import path_without_dot
from tests.test_plot import png_size

OLD = b"the user's own file"


def small() -> keras.Model:
    ins = fn.inputs(x=(3,))
    return fn.model(ins, fn.head(ins["x"], "y", "binary"), name="small")


# ---- fn.plot's arguments, refused by name ----------------------------------------------------
BAD_ARGS = {
    "dpi-zero": (dict(dpi=0), r"dpi must be a positive number.*Received: dpi=int 0"),
    "dpi-negative": (dict(dpi=-96), r"dpi must be a positive number.*dpi=int -96"),
    "dpi-string": (dict(dpi="96"), r"dpi must be a positive number.*dpi=str '96'"),
    "dpi-nan": (dict(dpi=math.nan), r"dpi must be .*dpi=float nan"),
    "dpi-inf": (dict(dpi=math.inf), r"dpi must be .*dpi=float inf"),
    "dpi-bool": (dict(dpi=True), r"dpi must be .*dpi=bool True"),
    "dpi-none": (dict(dpi=None), r"dpi must be .*dpi=NoneType None"),
    "depth-zero": (dict(depth=0), r"depth must be a whole number >= 1.*depth=int 0"),
    "depth-fraction": (dict(depth=1.5), r"depth must be a whole number.*depth=float 1.5"),
    "depth-string": (dict(depth="1"), r"depth must be a whole number.*depth=str '1'"),
    "depth-bool": (dict(depth=True), r"depth must be a whole number.*depth=bool True"),
}


@pytest.mark.parametrize(("kwargs", "match"), BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_plot_arguments_are_refused_by_name(
    kwargs: dict[str, Any], match: str, tmp_path: Path
) -> None:
    with pytest.raises(fn.FuncnetError, match=match):
        fn.plot(small(), tmp_path / "arch.png", **kwargs)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dpi", [72, 150.5], ids=["whole", "fractional"])
def test_good_dpi_is_used(dpi: float, tmp_path: Path) -> None:
    assert f"dpi={dpi:g}" in fn.plot(small(), tmp_path / "arch.png", dpi=dpi).source


# ---- files: interrupted, symlinked, replaced, shrunk ------------------------------------------
def interrupt(*args: Any, **kwargs: Any) -> None:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    "where",
    ["funcnet._files.os.replace", "funcnet._files.os.chmod"],
    ids=["ctrl-c-on-rename", "ctrl-c-before-rename"],
)
@pytest.mark.parametrize("existing", [True, False], ids=["over-old-file", "new-file"])
def test_interrupted_write_leaves_no_temporary(where: str, existing: bool, tmp_path: Path) -> None:
    target = tmp_path / "arch.png"
    if existing:
        target.write_bytes(OLD)
    with mock.patch(where, interrupt), pytest.raises(KeyboardInterrupt):
        fn.plot(small(), target)
    assert [p.name for p in tmp_path.iterdir()] == (["arch.png"] if existing else [])
    if existing:
        assert target.read_bytes() == OLD


def test_write_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    real = tmp_path / "pictures" / "arch.svg"
    real.parent.mkdir()
    real.write_bytes(OLD)
    link = tmp_path / "latest.svg"
    link.symlink_to(real)
    fn.plot(small(), link)
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in real.parent.iterdir()) == ["arch.svg"]


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o664], ids=["0640", "0600", "0664"])
def test_replaced_file_keeps_its_permissions(mode: int, tmp_path: Path) -> None:
    target = tmp_path / "arch.png"
    target.write_bytes(OLD)
    target.chmod(mode)
    fn.plot(small(), target)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert png_size(target.read_bytes())[0] > 10


def test_new_file_gets_the_default_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        fn.plot(small(), tmp_path / "arch.png")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "arch.png").stat().st_mode) == 0o644


@pytest.mark.parametrize("picture", ["arch.png", "arch.svg"], ids=["png", "svg"])
def test_no_renderer_never_replaces_the_users_dot(picture: str, tmp_path: Path) -> None:
    (tmp_path / "arch.dot").write_bytes(OLD)
    with (
        path_without_dot(tmp_path),
        pytest.raises(fn.FuncnetError, match=r"arch.dot exists and was left"),
    ):
        fn.plot(small(), tmp_path / picture)
    assert (tmp_path / "arch.dot").read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.dot", "empty-bin"]


def test_no_renderer_writes_the_dot_when_there_is_none(tmp_path: Path) -> None:
    with (
        path_without_dot(tmp_path),
        pytest.raises(fn.FuncnetError, match=r"DOT source was saved to"),
    ):
        fn.plot(small(), tmp_path / "arch.png")
    assert (tmp_path / "arch.dot").read_text().startswith("digraph")


# What Graphviz's dot prints when a bitmap passes its limits (seen with dot 2.43 at
# dpi=20000); a stand-in dot says it so that the test need not encode a gigapixel PNG.
SHRINKING_DOT = """#!/bin/sh
echo 'Warning: graph is too large for cairo-renderer bitmaps. Scaling by 0.361842 to fit' >&2
exec "$REAL_RENDERER" "$@"
"""


@pytest.mark.parametrize("renderer", ["dot", "graphviz-pure"])
def test_a_picture_shrunk_to_fit_says_so(renderer: str, tmp_path: Path, monkeypatch) -> None:
    from funcnet._render import pure_renderer

    monkeypatch.setenv("PATH", str(tmp_path))  # no real dot
    if renderer == "dot":
        (tmp_path / "dot").write_text(SHRINKING_DOT)
        (tmp_path / "dot").chmod(0o755)
        monkeypatch.setenv("REAL_RENDERER", str(pure_renderer()))
    else:
        monkeypatch.setattr("funcnet._render._MAX_SIDE", 1000)  # a small limit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        picture = fn.plot(small(), tmp_path / "arch.png", dpi=2000)
    assert picture.shrunk
    assert picture.scale == (0.361842 if renderer == "dot" else None)  # dot says how much
    said = [str(w.message) for w in caught]
    assert any("shrank the PNG" in s and "depth=1" in s for s in said), said
    width, height = png_size((tmp_path / "arch.png").read_bytes())
    if renderer == "graphviz-pure":
        assert max(width, height) <= 1010


def test_pdf_without_dot_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(fn.FuncnetError, match=r"A PDF needs Graphviz's 'dot'.*as \.svg"):
        fn.plot(small(), tmp_path / "arch.pdf")
    assert not (tmp_path / "arch.pdf").exists()


# ---- the command line -----------------------------------------------------------------------
FACTORIES = """
import argparse, sys
import keras
import funcnet as fn


def parses_argv():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, required=True)
    args = parser.parse_args()
    ins = fn.inputs(x=(args.width,))
    return fn.model(ins, fn.head(ins["x"], "y", "binary"))


def parses_argv_with_defaults():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=3)
    args = parser.parse_args()
    ins = fn.inputs(x=(args.width,))
    return fn.model(ins, fn.head(ins["x"], "y", "binary"))


def exits():
    sys.exit(0)


class Doubler(keras.Model):
    def call(self, x):
        return x * 2


def subclassed():
    return Doubler(name="doubler")


def subclassed_built():
    model = Doubler(name="doubler")
    model(keras.ops.zeros((1, 3)))
    return model
"""


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "cli_models.py"
    path.write_text(FACTORIES)
    return path


CLI_MISTAKES = {
    "factory-parses-argv": (
        ["plot", "{models}:parses_argv", "-o", "{tmp}/a.png"],
        r"parses_argv\(\) exited \(SystemExit 2\).*sys.argv.*required: --width",
    ),
    "factory-exits": (
        ["plot", "{models}:exits", "-o", "{tmp}/a.png"],
        r"exits\(\) exited \(SystemExit 0\) instead of returning a model",
    ),
    "subclassed-not-built": (
        ["plot", "{models}:subclassed", "-o", "{tmp}/a.png"],
        r'Model "doubler" is not built yet',
    ),
    "summary-subclassed": (
        ["summary", "{models}:subclassed_built"],
        r'Model "doubler" \(Doubler\) is a subclassed keras.Model without a graph',
    ),
    "missing-keras-file": (
        ["plot", "{tmp}/nothing.keras", "-o", "{tmp}/a.png"],
        r'Cannot load ".*nothing.keras": there is no such file',
    ),
    "corrupt-keras-file": (
        ["summary", "{tmp}/broken.keras"],
        r'Cannot load ".*broken.keras" as a Keras model',
    ),
}


@pytest.mark.parametrize(("argv", "match"), CLI_MISTAKES.values(), ids=CLI_MISTAKES.keys())
def test_cli_mistakes_are_one_line(models, tmp_path, capsys, argv, match) -> None:
    (tmp_path / "broken.keras").write_bytes(b"not a zip file")
    argv = [a.format(models=models, tmp=tmp_path) for a in argv]
    assert cli(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("funcnet: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(match, err), err
    assert not (tmp_path / "a.png").exists()


def test_factory_with_argument_defaults_gets_no_foreign_arguments(models, tmp_path) -> None:
    assert cli(["plot", f"{models}:parses_argv_with_defaults", "-o", str(tmp_path / "a.png")]) == 0
    assert png_size((tmp_path / "a.png").read_bytes())[0] > 10


def test_subclassed_built_model_draws_as_one_box(models, tmp_path) -> None:
    assert cli(["plot", f"{models}:subclassed_built", "-o", str(tmp_path / "a.dot")]) == 0
    assert "<b>doubler</b>" in (tmp_path / "a.dot").read_text()


@pytest.mark.parametrize("fmt", ["png", "html", "dot"])
def test_saved_model_plots_and_summarises_like_a_factory(fmt: str, tmp_path, capsys) -> None:
    ins = fn.inputs(pixels=(8,), ink=(2,))
    h = fn.merge([ins["pixels"], ins["ink"]], "concat", name="both")
    model = fn.model(
        ins, [fn.head(h, "digit", "multiclass", units=10), fn.head(h, "even", "binary")]
    )
    model.save(tmp_path / "digits.keras")
    assert cli(["plot", str(tmp_path / "digits.keras"), "-o", str(tmp_path / f"a.{fmt}")]) == 0
    text = (tmp_path / f"a.{fmt}").read_bytes()
    assert text.startswith({"png": b"\x89PNG", "html": b"<!DOCTYPE html>", "dot": b"digraph"}[fmt])
    assert cli(["summary", str(tmp_path / "digits.keras")]) == 0
    out = capsys.readouterr().out
    assert "digit" in out and "multiclass" in out and "even" in out and "binary" in out


def test_cli_depth_reaches_the_picture(tmp_path) -> None:
    assert cli(["plot", "funcnet.gallery:recipe_resnet", "-o", str(tmp_path / "a.dot")]) == 0
    full = (tmp_path / "a.dot").read_text().count("label=<")
    args = ["plot", "funcnet.gallery:recipe_resnet", "--depth", "1", "-o", str(tmp_path / "b.dot")]
    assert cli(args) == 0
    assert (tmp_path / "b.dot").read_text().count("label=<") < full

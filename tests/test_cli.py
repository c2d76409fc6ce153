"""The `funcnet` command line, run in-process through main(argv) and, a few times, for real.

Subprocesses that load TensorFlow cost about 4 s each, so only two do; the others stop
before TensorFlow would load, which is itself what they check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from funcnet._cli import main, output_table
from tests.test_plot import png_size

MODELS = """
from keras import layers
import funcnet as fn

def good():
    ins = fn.inputs(x=(4,))
    return fn.model(ins, fn.head(fn.stack(ins["x"], layers.Dense(3, name="hidden")), "y", "binary"))

def returns_list():
    return [1, 2]

def needs_width(width, depth=2):
    return good()

def boom():
    raise RuntimeError("kaboom\\nsecond line")

NOT_CALLABLE = 3
"""


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "my_models.py"
    path.write_text(MODELS)
    return path


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "funcnet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


# ---- mistakes: one line on stderr, exit status 1 -------------------------------------------
@pytest.mark.parametrize(
    ("target", "output", "match"),
    [
        ("no_colon_here", "arch.png", r'Expected MODULE:FACTORY.*Received: "no_colon_here"'),
        ("no_such_module_xyz:build", "arch.png", r'Cannot import module "no_such_module_xyz"'),
        ("missing.py:build", "arch.png", r'Cannot import ".*missing.py": there is no such'),
        ("{models}:nope", "arch.png", r'has no function "nope". Its functions: boom, good'),
        ("{models}:goood", "arch.png", r'Did you mean "good"\?'),
        ("{models}:NOT_CALLABLE", "arch.png", r"NOT_CALLABLE\" is not a function.*int 3"),
        ("{models}:returns_list", "arch.png", r"returns_list\(\) must return a keras.Model.*list"),
        ("{models}:boom", "arch.png", r"boom\(\) raised RuntimeError: kaboom second line$"),
        ("{models}:needs_width", "arch.png", r"needs_width must take no arguments.*needs width\."),
        (
            "{models}:good",
            "arch.jpg",
            r'"\.jpg".*Expected one of: \.dot, \.html, \.pdf, \.png, \.svg',
        ),
        ("{models}:good", "no_dir/arch.png", r'folder ".*no_dir" does not exist'),
    ],
    ids=[
        "no-colon",
        "no-module",
        "no-file",
        "no-factory",
        "near-miss",
        "not-callable",
        "not-a-model",
        "factory-raises",
        "needs-arguments",
        "bad-extension",
        "missing-folder",
    ],
)
def test_plot_mistakes_give_one_line(models, tmp_path, capsys, target, output, match) -> None:
    target = target.format(models=models)
    assert main(["plot", target, "-o", str(tmp_path / output)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("funcnet: error: ")
    assert re.search(match, err.strip()), err
    assert not (tmp_path / output).exists()


def test_module_names_import_from_the_current_folder(models, monkeypatch, capsys) -> None:
    monkeypatch.chdir(models.parent)
    monkeypatch.syspath_prepend(str(models.parent))
    assert main(["summary", "my_models:good"]) == 0
    assert "hidden (Dense)" in capsys.readouterr().out


# ---- success ------------------------------------------------------------------------------
def test_plot_writes_the_picture(models, tmp_path, capsys) -> None:
    out = tmp_path / "arch.svg"
    assert main(["plot", f"{models}:good", "-o", str(out), "--rankdir", "LR", "--title", "T"]) == 0
    assert out.read_text().lstrip().startswith("<?xml")
    assert capsys.readouterr().out == f"wrote {out}\n"


def test_summary_prints_a_table_of_outputs(capsys) -> None:
    assert main(["summary", "funcnet.gallery:s3b"]) == 0
    out = capsys.readouterr().out
    assert 'Model: "s3b_three_heads"' in out
    rows = [line.split() for line in out.split("Outputs, in declared order:")[1].splitlines()]
    assert [r for r in rows if r] == [
        ["output", "task", "loss", "units", "params", "feeding", "it"],
        ["o1", "binary", "binary_crossentropy", "1", "7,991"],
        ["o2", "binary", "binary_crossentropy", "1", "7,991"],
        ["o3", "multiclass", "sparse_categorical_crossentropy", "10", "8,090"],
    ]


def test_output_table_counts_a_shared_layer_once() -> None:
    from funcnet.gallery import s2b_fixed

    # project_a 10*16+16, shared 16*16+16, head 16+1: output_a sees 176+272+17.
    assert output_table(s2b_fixed()) == [
        ("output_a", "binary", "binary_crossentropy", 1, "465"),
        ("output_b", "binary", "binary_crossentropy", 1, "625"),
    ]


def test_gallery_writes_the_chosen_models(tmp_path, capsys) -> None:
    out = tmp_path / "gallery"
    argv = ["gallery", "--out", str(out), "--format", "svg", "--only", "s1b", "recipe_resnet"]
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["recipe_resnet.svg", "s1b.svg"]
    assert "S1b siamese" in (out / "s1b.svg").read_text()  # the factory's summary as title


def test_gallery_unknown_name(tmp_path, capsys) -> None:
    assert main(["gallery", "--out", str(tmp_path), "--only", "s1c"]) == 1
    assert 'Unknown gallery model "s1c"' in capsys.readouterr().err


def test_every_gallery_model_is_drawn(tmp_path) -> None:
    from funcnet.gallery import SEED_CASES, factories, write_gallery

    names = [n for n in factories() if n != "s1a"]  # s1a holds 400M weights; see test_plot
    paths = write_gallery(tmp_path, fmt="dot", names=names)
    assert [p.stem for p in paths] == names
    assert {"s0a", "s1b", "s2b_fixed", "s2c_fixed", "s3a", "s3b"} <= set(SEED_CASES)
    assert all(p.read_text().startswith("digraph") for p in paths)


# ---- the real command ---------------------------------------------------------------------
def test_help_answers_fast_without_tensorflow() -> None:
    start = time.perf_counter()
    result = run("--help")
    elapsed = time.perf_counter() - start
    assert result.returncode == 0 and "plot" in result.stdout and "gallery" in result.stdout
    assert elapsed < 1.0, f"funcnet --help took {elapsed:.2f} s"
    probe = (
        "import json, sys\n"
        "from funcnet._cli import main\n"
        "for argv in (['--help'], ['plot', '--help'], ['plot', 'no_colon', '-o', 'x.png']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert json.loads(loaded.stdout.splitlines()[-1]) == []


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "funcnet"
    if not script.exists():
        pytest.skip("funcnet is not installed as a console script in this environment")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("funcnet ")


def test_real_command_writes_a_png_with_a_quiet_stderr(tmp_path) -> None:
    out = tmp_path / "s1b.png"
    result = run("plot", "funcnet.gallery:s1b", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # TensorFlow's start-up log lines are kept out
    width, height = png_size(out.read_bytes())
    assert 200 < width < 2000 and 200 < height < 2000


def test_real_command_without_dot_draws_with_graphviz_pure(tmp_path) -> None:
    empty = tmp_path / "no_programs"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}  # no dot; graphviz-pure sits beside python
    result = run("plot", "funcnet.gallery:s2a", "-o", str(tmp_path / "arch.png"), env=env)
    assert result.returncode == 0, result.stderr
    assert png_size((tmp_path / "arch.png").read_bytes())[0] > 100
    (tmp_path / "arch.dot").write_text("my own notes")
    result = run("plot", "funcnet.gallery:s2a", "-o", str(tmp_path / "arch.pdf"), env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "A PDF needs Graphviz's 'dot'" in result.stderr and "apt-get install" in result.stderr
    assert (tmp_path / "arch.dot").read_text() == "my own notes"  # never replaced
    assert not (tmp_path / "arch.pdf").exists()

"""The demo (`make demo`): trains on real digits, prints per-output metrics, writes its files.

The demo runs in-process through `main(argv)`, the function `python -m funcnet.demo`
calls, so its return value is the exit code.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import funcnet as fn
from funcnet import demo
from funcnet._files import save_model
from tests.test_plot import png_size

ROW = re.compile(r"^\s+(digit|even)\s+(multiclass|binary)\s+([\d.]+)\s+([\d.]+)\s+(\S+)$", re.M)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    """One full demo run shared by the tests below: (exit code, printed text, folder)."""
    out = tmp_path_factory.mktemp("demo") / "funcnet-demo"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the table and Keras's progress bar
        code = demo.main(["--out", str(out)])
    return code, printed.getvalue(), out


def test_prints_a_row_per_output_and_reaches_90_percent(run: tuple[int, str, Path]) -> None:
    code, text, _ = run
    assert re.search(r"^\s+output\s+task\s+loss\s+accuracy\s+auc$", text, re.M), text
    rows = {m[0]: m for m in ROW.findall(text)}
    assert list(rows) == ["digit", "even"], text
    assert rows["digit"][4] == "-", "a multiclass head has no AUC"
    digit_accuracy = float(rows["digit"][3])
    assert digit_accuracy >= demo.MIN_DIGIT_ACCURACY
    assert float(rows["even"][3]) >= 0.8
    assert code == 0
    assert f"Digit accuracy {digit_accuracy:.3f}: at least 0.90" in text


def test_saved_model_loads_and_predicts(run: tuple[int, str, Path]) -> None:
    _, text, out = run
    path = out / demo.MODEL_FILE
    assert f"Wrote to {out}/" in text and demo.MODEL_FILE in text, "it says where the model is"
    loaded = keras.saving.load_model(path)
    _, (x_test, y_test) = demo.load_digits_split()
    predicted = loaded.predict(x_test, verbose=0)
    assert predicted["digit"].shape == (len(x_test["pixels"]), 10)
    assert predicted["even"].shape == (len(x_test["pixels"]), 1)
    assert (predicted["digit"].argmax(axis=1) == y_test["digit"]).mean() >= 0.9
    assert not list(out.glob(".*.tmp")), "no temporary file is left behind"


def test_pictures_are_pngs(run: tuple[int, str, Path]) -> None:
    _, text, out = run
    pictures = [out / demo.MODEL_PICTURE, *sorted((out / "gallery").glob("*.png"))]
    names = {p.stem for p in pictures}
    assert {"recipe_multi_input", "recipe_siamese", "recipe_resnet", "recipe_multi_output"} <= names
    for picture in pictures:
        data = picture.read_bytes()
        width, height = png_size(data)
        assert width > 100 and height > 100, picture.name
        assert data[-8:-4] == b"IEND", f"{picture.name} is cut short"
        assert picture.name in text, f"the demo lists {picture.name}"


def test_exits_1_below_the_accuracy_bar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(demo, "MIN_DIGIT_ACCURACY", 1.01)
    assert demo.main(["--out", str(tmp_path), "--epochs", "1"]) == 1


def test_a_failed_save_keeps_the_old_model(tmp_path: Path) -> None:
    path = tmp_path / "digits.keras"
    path.write_bytes(b"the model from last time")

    class Broken(keras.Model):
        def save(self, *args: object, **kwargs: object) -> None:
            Path(str(args[0])).write_bytes(b"half a mod")
            raise OSError("disk full")

    with pytest.raises(
        fn.FuncnetError, match=r'Cannot save model .* to ".*digits.keras": disk full'
    ):
        save_model(Broken(), path)
    assert path.read_bytes() == b"the model from last time"
    assert [p.name for p in tmp_path.iterdir()] == ["digits.keras"]


def test_missing_scikit_learn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn...` fail
    monkeypatch.delitem(sys.modules, "sklearn.datasets", raising=False)
    with pytest.raises(SystemExit, match=r"pip install scikit-learn"):
        demo.load_digits_split()


def test_ink_sums_are_row_then_column_shares() -> None:
    image = np.zeros((1, 8, 8))
    image[0, 2, :] = 1.0  # one full row of ink
    sums = demo.ink_sums(image)[0]
    assert sums[2] == 1.0 and sums[:8].sum() == 1.0
    assert np.allclose(sums[8:], 1 / 8)

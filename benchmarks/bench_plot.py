"""Architecture pictures of Keras Applications: keras.utils.plot_model vs fn.plot.

Builds six Keras Applications with weights=None (random weights, no download) and, in one
run, times Keras's plot_model(show_shapes=True) to PNG against fn.plot to PNG drawn by
Graphviz's dot and by graphviz-pure (dot removed from PATH), plus fn.plot's interactive
HTML page and its depth=1 overview. Prints the ratio to plot_model and where plot_model
itself fails. Targets (issue 14): PNG at most half plot_model's time with either
renderer, the HTML page of ResNet50 under 1 s, depth=1 of NASNetMobile under 2 s.

Run: python benchmarks/bench_plot.py
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

import funcnet as fn

MODELS = ["ResNet50", "MobileNetV2", "DenseNet121", "InceptionV3", "EfficientNetB0", "NASNetMobile"]


@contextlib.contextmanager
def without_dot() -> Iterator[None]:
    """PATH without Graphviz's dot, so that fn.plot draws with graphviz-pure."""
    saved = os.environ["PATH"]
    dot = shutil.which("dot")
    folders = saved.split(os.pathsep)
    if dot:
        folders = [f for f in folders if Path(f).resolve() != Path(dot).resolve().parent]
    os.environ["PATH"] = os.pathsep.join(folders)
    try:
        yield
    finally:
        os.environ["PATH"] = saved


def timed(call: Callable[[], object]) -> tuple[float | None, str]:
    """Seconds for one run, or (None, why it failed)."""
    start = time.perf_counter()
    try:
        call()
    except Exception as err:  # plot_model's own failures are part of the report
        return None, f"{type(err).__name__}: {' '.join(str(err).split())[:70]}"
    return time.perf_counter() - start, ""


def cell(seconds: float | None, base: float | None) -> str:
    """'0.41s (0.22x)': seconds and the ratio to plot_model's time."""
    if seconds is None:
        return f"{'failed':>14}"
    ratio = f"({seconds / base:.2f}x)" if base else ""
    return f"{seconds:6.2f}s{ratio:>8}"


def main() -> None:
    out = Path(tempfile.mkdtemp(prefix="bench_plot_"))
    have_dot = shutil.which("dot") is not None
    print(f"Graphviz dot on PATH: {have_dot}; one run each; files in {out}")
    header = f"{'model':<15}{'layers':>7}{'plot_model':>12}{'fn dot':>14}{'fn pure':>14}"
    print(header + f"{'html':>8}{'depth=1':>9}{'d1 nodes':>9}")
    for name in MODELS:
        model = getattr(keras.applications, name)(weights=None)
        base, why = timed(
            lambda m=model, n=name: keras.utils.plot_model(
                m, to_file=str(out / f"{n}_keras.png"), show_shapes=True
            )
        )
        dot_s, dot_why = (
            timed(lambda m=model, n=name: fn.plot(m, out / f"{n}_dot.png"))
            if have_dot
            else (None, "no dot")
        )
        with without_dot():
            pure_s, pure_why = timed(lambda m=model, n=name: fn.plot(m, out / f"{n}_pure.png"))
        page_s, _ = timed(lambda m=model, n=name: fn.plot(m, out / f"{n}.html"))
        over_s, _ = timed(lambda m=model, n=name: fn.plot(m, out / f"{n}_d1.png", depth=1))
        nodes = fn.plot(model, depth=1).source.count("label=<")

        shown = f"{base:10.2f}s" if base is not None else f"{'FAILED':>11}"
        print(
            f"{name:<15}{len(model.layers):>7} {shown}{cell(dot_s, base)}{cell(pure_s, base)}"
            f"{page_s or 0:7.2f}s{over_s or 0:8.2f}s{nodes:>9}"
        )
        for label, reason in (("plot_model", why), ("fn dot", dot_why), ("fn pure", pure_why)):
            if reason and reason != "no dot":
                print(f"    {label} failed: {reason}")
    print("(ratios: fn.plot's PNG time over plot_model's, same model, same run)")


if __name__ == "__main__":
    main()

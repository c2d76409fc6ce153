"""Architecture pictures of a ResNet50-sized model: keras.utils.plot_model vs fn.plot.

Builds keras.applications.ResNet50(weights=None) locally (random weights, no download,
177 layers) and, in one run, times Keras's plot_model(show_shapes=True) to PNG against
fn.plot to PNG and to SVG. Prints a table with the ratio to plot_model.

Run: python benchmarks/bench_plot.py
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

import funcnet as fn

REPEATS = 3


def best_of(fn_call: Callable[[], object]) -> float:
    """The best wall time of REPEATS runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn_call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    model = keras.applications.ResNet50(weights=None)
    print(f"model: {model.name}, {len(model.layers)} layers, {model.count_params():,} parameters")
    out = Path(tempfile.mkdtemp(prefix="bench_plot_"))
    cases = {
        "keras.utils.plot_model(show_shapes=True) -> PNG": lambda: keras.utils.plot_model(
            model, to_file=str(out / "keras.png"), show_shapes=True
        ),
        "keras.utils.model_to_dot(show_shapes=True) only": lambda: keras.utils.model_to_dot(
            model, show_shapes=True
        ),
        "fn.plot -> PNG": lambda: fn.plot(model, out / "funcnet.png"),
        "fn.plot -> SVG": lambda: fn.plot(model, out / "funcnet.svg"),
        "fn.plot -> DOT (graph only, no rendering)": lambda: fn.plot(model, out / "funcnet.dot"),
    }
    times = {name: best_of(call) for name, call in cases.items()}
    base = times["keras.utils.plot_model(show_shapes=True) -> PNG"]
    width = max(map(len, times))
    print(f"{'what':<{width}}  {'seconds':>8}  {'vs plot_model':>13}")
    for name, seconds in times.items():
        print(f"{name:<{width}}  {seconds:8.3f}  {seconds / base:12.2f}x")
    for name in ("keras.png", "funcnet.png", "funcnet.svg"):
        print(f"{name}: {(out / name).stat().st_size / 1e6:.2f} MB")
    print(f"(best of {REPEATS}; files in {out})")


if __name__ == "__main__":
    main()

"""The demo behind `make demo`: a two-input, two-output model trained on real digits.

`python -m funcnet.demo [--out DIR]` loads scikit-learn's 1,797 handwritten digits (they
ship inside scikit-learn, nothing is downloaded), feeds each digit to the model twice -
its 64 pixels and 16 hand-made ink sums - and trains two named heads at once: "digit"
(which of 10) and "even" (yes or no). It then prints held-out metrics per output, writes
the architecture pictures of every recipe and the trained `.keras` model into one folder,
and exits non-zero if the digit head misses 90% accuracy.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from funcnet._quiet import native_stderr_held

MIN_DIGIT_ACCURACY = 0.90
DEFAULT_OUT = "funcnet-demo"
MODEL_FILE = "digits.keras"
MODEL_PICTURE = "digits.png"

Split = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]


def main(argv: Sequence[str] | None = None) -> int:
    """Trains the digits model, prints its held-out metrics and writes its files.

    Args:
        argv: Command-line arguments without the program name; `None` reads `sys.argv`.

    Returns:
        The exit code: 0 when the digit head reaches `MIN_DIGIT_ACCURACY` on held-out
        digits, 1 when it does not, 2 when the files cannot be written (the reason is
        printed).

    Raises:
        SystemExit: scikit-learn is missing (with how to install it), or bad arguments.

    Example:
        From a shell (training takes a few seconds, so no doctest here)::

            $ python -m funcnet.demo --out /tmp/funcnet-demo
    """
    args = _parser().parse_args(argv)
    out = Path(args.out).expanduser().resolve()
    started = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_digits_split(seed=args.seed)
    n_train, n_test = len(y_train["digit"]), len(y_test["digit"])
    print(
        f"funcnet demo: {n_train + n_test:,} handwritten digits from scikit-learn, "
        f"{n_train:,} to train on and {n_test:,} held out.\n"
        'Each digit goes in twice, as its 64 "pixels" and as 16 hand-made "ink" sums (per row '
        'and column);\ntwo heads answer "digit" (which of 10?) and "even" (yes or no?).\n'
    )
    with native_stderr_held():  # TensorFlow's C++ start-up chatter
        import keras

        import funcnet as fn
        from funcnet._files import save_model
        from funcnet.gallery import write_gallery

        keras.utils.set_random_seed(args.seed)
        model = build_model()
    fn.compile(model, preset="fast")
    fn.fit(model, x_train, y_train, epochs=args.epochs, batch_size=32)
    results = model.evaluate(x_test, y_test, batch_size=256, verbose=0, return_dict=True)
    print(f"\nHeld-out metrics ({n_test:,} digits the model never saw):\n")
    print(metrics_table(model, results))

    try:
        pictures = write_gallery(out / "gallery")  # every seed case and every recipe
        fn.plot(model, out / MODEL_PICTURE)
        save_model(model, out / MODEL_FILE)
    except fn.FuncnetError as err:
        print(f"\nfuncnet demo: {err}", file=sys.stderr)
        return 2
    names = textwrap.indent(textwrap.fill(" ".join(p.name for p in pictures), 86), " " * 4)
    print(
        f"\nWrote to {out}/\n"
        f"  {MODEL_FILE}    the trained model; load it with keras.saving.load_model\n"
        f"  {MODEL_PICTURE}      its architecture\n"
        f"  gallery/        {len(pictures)} architecture pictures, every seed case and recipe:\n"
        f"{names}"
    )

    accuracy = results["digit_accuracy"]
    verdict = "at least" if accuracy >= MIN_DIGIT_ACCURACY else "BELOW the required"
    print(
        f"\nDigit accuracy {accuracy:.3f}: {verdict} {MIN_DIGIT_ACCURACY:.2f}. "
        f"Done in {time.perf_counter() - started:.0f} s."
    )
    return 0 if accuracy >= MIN_DIGIT_ACCURACY else 1


def load_digits_split(seed: int = 0, test_size: float = 0.25) -> tuple[Split, Split]:
    """Loads scikit-learn's digits as named inputs and targets, split by class.

    Args:
        seed: Seed of the split.
        test_size: Fraction held out; every digit keeps its share on both sides.

    Returns:
        `((x_train, y_train), (x_test, y_test))`, where x holds "pixels" (n, 64) in
        [0, 1] and "ink" (n, 16), and y holds "digit" (class ids) and "even" (0/1).

    Raises:
        SystemExit: scikit-learn is not installed, saying how to install it.

    Example:
        >>> (x, y), (x_test, y_test) = load_digits_split()
        >>> x["pixels"].shape, x["ink"].shape, sorted(y)
        ((1347, 64), (1347, 16), ['digit', 'even'])
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit(
            "The funcnet demo trains on scikit-learn's digits, and scikit-learn is not "
            "installed. Install it with: pip install scikit-learn (or pip install "
            "'funcnet[dev]')."
        ) from None
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")  # pixel values are 0..16
    x = {"pixels": images.reshape(len(images), 64), "ink": ink_sums(images)}
    y = {"digit": digits.target, "even": (digits.target % 2 == 0).astype("float32")}
    train, test = train_test_split(
        np.arange(len(images)), test_size=test_size, stratify=digits.target, random_state=seed
    )
    pick = lambda d, rows: {k: v[rows] for k, v in d.items()}  # noqa: E731
    return (pick(x, train), pick(y, train)), (pick(x, test), pick(y, test))


def ink_sums(images: np.ndarray) -> np.ndarray:
    """The hand-made features: ink per row, then per column, each scaled to [0, 1].

    Args:
        images: An array (n, height, width) of pixel values in [0, 1].

    Returns:
        An array (n, height + width).

    Example:
        >>> ink_sums(np.eye(8)[None]).tolist()[0][:3]
        [0.125, 0.125, 0.125]
    """
    _, height, width = images.shape
    rows = images.sum(axis=2) / width
    cols = images.sum(axis=1) / height
    return np.concatenate([rows, cols], axis=1).astype("float32")


def build_model() -> Any:
    """Builds the demo's model: one encoder per input, merged, a trunk, two named heads.

    Returns:
        A `keras.Model` with inputs "pixels" (64,) and "ink" (16,) and outputs
        "digit" (multiclass, 10) and "even" (binary).

    Example:
        >>> model = build_model()
        >>> list(model.output), model.count_params()
        (['digit', 'even'], 10331)
    """
    from keras import layers

    import funcnet as fn

    ins = fn.inputs(pixels=(64,), ink=(16,))
    pixels = fn.stack(ins["pixels"], layers.Dense(64, activation="relu", name="pixel_encoder"))
    ink = fn.stack(ins["ink"], layers.Dense(16, activation="relu", name="ink_encoder"))
    both = fn.merge([pixels, ink], "concat", name="pixels_and_ink")
    trunk = fn.stack(both, layers.Dense(64, activation="relu", name="trunk"))
    heads = [fn.head(trunk, "digit", "multiclass", units=10), fn.head(trunk, "even", "binary")]
    return fn.model(ins, heads, name="digits")


def metrics_table(model: Any, results: dict[str, float]) -> str:
    """Lays out `model.evaluate(..., return_dict=True)` as one row per output.

    Args:
        model: The evaluated model; its outputs give the rows, in declared order.
        results: The dict `evaluate` returned ("digit_loss", "digit_accuracy", ...).

    Returns:
        The table as text; a metric an output does not have shows as "-".

    Example:
        >>> model = build_model()
        >>> print(metrics_table(model, {"digit_loss": 0.1, "digit_accuracy": 0.97,
        ...                             "even_loss": 0.2, "even_accuracy": 0.95}))
          output  task        loss   accuracy
          digit   multiclass  0.100  0.970
          even    binary      0.200  0.950
    """
    from funcnet._graph import named_outputs
    from funcnet._tasks import output_task

    outputs = named_outputs(model)
    per_output = {
        name: {k[len(name) + 1 :]: v for k, v in results.items() if k.startswith(f"{name}_")}
        for name in outputs
    }
    metrics = ["loss", *sorted({m for got in per_output.values() for m in got} - {"loss"})]
    rows = [["output", "task", *metrics]]
    for name, got in per_output.items():
        task = output_task(outputs[name]).task or "-"
        rows.append([name, task, *(f"{got[m]:.3f}" if m in got else "-" for m in metrics)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(f"  {line}".rstrip() for line in lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m funcnet.demo",
        description="Train a two-input, two-output model on scikit-learn's digits and "
        "write the architecture pictures of every recipe and the trained model.",
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"folder for the files (default: ./{DEFAULT_OUT})"
    )
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default: 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())

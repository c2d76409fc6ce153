"""The table of training rates the speed benchmarks print (no Keras: any process may use it).

Each row is one set-up's timed epochs and final loss; the table shows the median epoch's
and the best (least disturbed) epoch's samples/s, each with its ratio to the first row.
"""

from __future__ import annotations

import statistics
from typing import Any


def table(
    title: str,
    results: dict[Any, tuple[list[float], float]],
    *,
    samples: int,
    batch: int,
    columns: tuple[tuple[str, int], ...],
) -> dict[Any, tuple[float, float]]:
    """Prints the rates of `results` ({key: (epoch seconds, final loss)}); returns them.

    A key is one label, or a tuple of labels, one per column of `columns` (header, width).
    Returns {key: (median samples/s, best samples/s)}.
    """
    rates = {
        key: (samples / statistics.median(seconds), samples / min(seconds), loss)
        for key, (seconds, loss) in results.items()
    }
    base_median, base_best, _ = next(iter(rates.values()))
    epochs = len(next(iter(results.values()))[0])
    print(f"\n{title} (batch {batch}, {samples:,} samples/epoch, {epochs} timed epochs)")
    labels = " ".join(f"{header:<{width}}" for header, width in columns)
    print(f"{labels} {'median/s':>9} {'ratio':>6} {'best/s':>9} {'ratio':>6} {'final loss':>11}")
    for key, (median, best, loss) in rates.items():
        cells = key if isinstance(key, tuple) else (key,)
        labels = " ".join(
            f"{cell:<{width}}" for cell, (_, width) in zip(cells, columns, strict=True)
        )
        print(
            f"{labels} {median:>9,.0f} {median / base_median:>5.2f}x {best:>9,.0f} "
            f"{best / base_best:>5.2f}x {loss:>11.5f}"
        )
    return {key: (median, best) for key, (median, best, _) in rates.items()}

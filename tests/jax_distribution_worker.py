"""Trains S3b under keras.distribution on JAX in a fresh process, for test_backends_distribution.

JAX fixes its device count when it starts, so the two host devices come from XLA_FLAGS
set before this process starts:

    XLA_FLAGS=--xla_force_host_platform_device_count=2 KERAS_BACKEND=jax \\
        python tests/jax_distribution_worker.py RESULT.json

It trains S3b once on one device with Keras's default settings, then under
`keras.distribution.DataParallel` over both devices with `preset="fast"`, from the same
initial weights on the same batches, and writes what the test checks: the devices, the
largest weight difference, both runs' last-epoch logs, and funcnet's errors for a batch, and for a
last batch, that does not split over the devices.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.distribute_worker import BATCH, EPOCHS, data, failure, largest_difference, s3b


def main(out: Path) -> None:
    import keras

    import funcnet as fn

    def train(model: keras.Model, preset: str) -> tuple[list, dict[str, float]]:
        model.set_weights(initial)
        fn.compile(model, preset=preset)
        history = fn.fit(model, x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
        return list(model.get_weights()), {k: float(v[-1]) for k, v in history.history.items()}

    keras.utils.set_random_seed(0)
    x, y = data()
    one_model = s3b()
    initial = one_model.get_weights()
    one, one_logs = train(one_model, "default")

    distribution = keras.distribution.DataParallel()
    keras.distribution.set_distribution(distribution)
    two_model = s3b()  # built under the distribution: its variables are laid out on the mesh
    built_before = failure(lambda: fn.compile(one_model))
    two, two_logs = train(two_model, "fast")
    uneven = failure(lambda: fn.fit(two_model, x, y, batch_size=BATCH + 1, epochs=1, verbose=0))
    x39, y39 = keras.tree.map_structure(lambda a: a[:39], (x, y))  # the last batch holds 9
    last = failure(lambda: fn.fit(two_model, x39, y39, batch_size=BATCH, epochs=1, verbose=0))
    result = {
        "backend": keras.backend.backend(),
        "devices": keras.distribution.list_devices(),
        "mesh": list(distribution.device_mesh.shape),
        "steps_per_execution": two_model.steps_per_execution,
        "jit_compile": bool(two_model.jit_compile),
        "weights_moved": largest_difference(one, initial),
        "max_weight_difference": largest_difference(one, two),
        "logs": [one_logs, two_logs],
        "uneven_batch": uneven,
        "uneven_last_batch": last,
        "built_before": built_before,
    }
    out.write_text(json.dumps(result))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

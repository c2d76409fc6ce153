"""Training speed of the S3b model on one device, two logical CPUs and two worker processes.

Each set-up runs in fresh processes (the CPU split and the cluster must exist before
TensorFlow starts): one device with Keras's defaults, one device with preset="fast",
MirroredStrategy over two logical CPU devices, and MultiWorkerMirroredStrategy with two
worker processes on 127.0.0.1. Same model, same data, same global batch; one warm-up
epoch (tracing), then EPOCHS timed epochs. Prints samples/s and the ratio to one device.

These are CPU figures on one machine: they show that funcnet trains correctly under
tf.distribute and what the synchronisation costs, not the speed-up of several GPUs.

Run: python benchmarks/bench_distribute.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SAMPLES, BATCH, EPOCHS = 4096, 32, 3
TIMEOUT = 600  # seconds for one set-up
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the model, data and ports of tests/distribute_worker.py

from tests.distribute_worker import data, free_ports, s3b  # noqa: E402


def measure(setup: str, out: Path) -> None:
    """In a fresh process: builds S3b for `setup`, trains, writes samples/s to `out`."""
    import tensorflow as tf

    strategy: Any = None
    if setup == "two workers":  # must come first: it sets up the collective runtime
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    elif setup == "two logical CPUs":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

    import keras

    import funcnet as fn

    keras.utils.set_random_seed(0)
    model = s3b(strategy)
    fn.compile(model, preset="fast" if setup == "one device, fast" else "default")
    x, y = data(SAMPLES)
    fn.fit(model, x, y, batch_size=BATCH, epochs=1, verbose=0)  # traces the training step
    start = time.perf_counter()
    fn.fit(model, x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    seconds = time.perf_counter() - start
    out.write_text(
        json.dumps(
            {
                "samples_per_s": SAMPLES * EPOCHS / seconds,
                "steps_per_execution": model.steps_per_execution,
            }
        )
    )


def run(setup: str, workers: int, tmp: Path) -> dict[str, Any]:
    """Runs `setup` in `workers` processes side by side; always kills and reaps them."""
    ports = free_ports(workers) if workers > 1 else []
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes, logs = [], []
    try:
        for index in range(workers):
            env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
            if ports:
                env["TF_CONFIG"] = json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}}
                )
            log = (tmp / f"{setup}-{index}.log").open("w")
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--measure",
                        setup,
                        str(tmp / f"{setup}-{index}.json"),
                    ],
                    cwd=ROOT,
                    env={**env, "PYTHONPATH": str(ROOT)},
                    stdout=log,
                    stderr=log,
                )
            )
        deadline = time.monotonic() + TIMEOUT
        for index, process in enumerate(processes):
            if process.wait(timeout=max(1.0, deadline - time.monotonic())) != 0:
                log_path = tmp / f"{setup}-{index}.log"
                raise RuntimeError(f"{setup}: process {index} failed, see {log_path}")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for log in logs:
            log.close()
    results = [json.loads((tmp / f"{setup}-{i}.json").read_text()) for i in range(workers)]
    # Each worker timed the same synchronous steps; the slower one is the cluster's pace.
    return min(results, key=lambda r: r["samples_per_s"])


def main() -> None:
    setups = {"one device": 1, "one device, fast": 1, "two logical CPUs": 1, "two workers": 2}
    tmp = Path(tempfile.mkdtemp(prefix="bench_distribute_"))
    print(
        f"S3b model, {SAMPLES} samples, global batch {BATCH}, {EPOCHS} timed epochs, "
        f"{os.cpu_count()} CPU cores"
    )
    results = {setup: run(setup, workers, tmp) for setup, workers in setups.items()}
    base = results["one device"]["samples_per_s"]
    names = {
        "one device": "one device (no strategy), default preset",
        "one device, fast": 'one device (no strategy), preset="fast"',
        "two logical CPUs": "MirroredStrategy, 2 logical CPUs",
        "two workers": "MultiWorkerMirroredStrategy, 2 workers",
    }
    width = max(map(len, names.values()))
    print(f"{'set-up':<{width}}  {'steps/call':>10}  {'samples/s':>10}  {'vs one device':>13}")
    for setup, result in results.items():
        rate = result["samples_per_s"]
        print(
            f"{names[setup]:<{width}}  {result['steps_per_execution']:>10}  {rate:>10,.0f}"
            f"  {rate / base:>12.2f}x"
        )
    print(
        "Note: CPU figures on one machine. They show that funcnet trains under tf.distribute "
        "and what the replicas' synchronisation costs; they are not the speed-up of several "
        "GPUs or machines. Under a strategy with several replicas funcnet runs one batch per "
        'call (steps_per_execution > 1 fails there), so preset="fast" gains nothing.'
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        measure(sys.argv[2], Path(sys.argv[3]))
    else:
        main()

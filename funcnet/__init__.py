"""funcnet: the Keras functional API made pleasant and safe for models that branch.

Build multi-input, shared-layer, residual and multi-output models from a few named pieces;
compile them with presets keyed by output name; draw their architecture.

Names are imported on first use, so that `funcnet --help` answers without loading
TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from funcnet import _keras_hook

__version__ = "0.1.0"

# Public name -> the private module that defines it.
_EXPORTS = {
    "FuncnetError": "funcnet._errors",
    "Head": "funcnet._heads",
    "Preset": "funcnet._presets",
    "Task": "funcnet._tasks",
    "check_data": "funcnet._data",
    "compile": "funcnet._compile",
    "fit": "funcnet._fit",
    "head": "funcnet._heads",
    "inputs": "funcnet._inputs",
    "merge": "funcnet._merge",
    "model": "funcnet._model",
    "plot": "funcnet._plot",
    "presets": "funcnet._presets",
    "residual": "funcnet._residual",
    "shared": "funcnet._shared",
    "stack": "funcnet._stack",
    "tasks": "funcnet._tasks",
}

__all__ = [
    "FuncnetError",
    "Head",
    "Preset",
    "Task",
    "check_data",
    "compile",
    "fit",
    "head",
    "inputs",
    "merge",
    "model",
    "plot",
    "presets",
    "recipes",
    "residual",
    "shared",
    "stack",
    "tasks",
]

if TYPE_CHECKING:
    from funcnet import recipes
    from funcnet._compile import compile
    from funcnet._data import check_data
    from funcnet._errors import FuncnetError
    from funcnet._fit import fit
    from funcnet._heads import Head, head
    from funcnet._inputs import inputs
    from funcnet._merge import merge
    from funcnet._model import model
    from funcnet._plot import plot
    from funcnet._presets import Preset, presets
    from funcnet._residual import residual
    from funcnet._shared import shared
    from funcnet._stack import stack
    from funcnet._tasks import Task, tasks


_keras_hook.install()


def __getattr__(name: str) -> Any:
    if name == "recipes":
        return importlib.import_module("funcnet.recipes")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'funcnet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

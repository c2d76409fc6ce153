"""funcnet: the Keras functional API made pleasant and safe for models that branch.

Build multi-input, shared-layer, residual and multi-output models from a few named pieces;
compile them with presets keyed by output name; draw their architecture.

The public names are listed once, in `__init__.pyi`, and imported on first use, so that
`funcnet --help` answers without loading TensorFlow.
"""

import inspect
from typing import Any

import lazy_loader

from funcnet import _keras_hook

__version__ = "0.1.0"

_load, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)

# Keras's saved configs record where a serializable layer class lives; Head keeps its own.
_REAL_MODULE = {"Head"}


def __getattr__(name: str) -> Any:
    try:
        value = _load(name)
    except AttributeError:
        raise AttributeError(f"module 'funcnet' has no attribute {name!r}") from None
    # Shown as funcnet.X in reprs, tracebacks and help(), not as the private module.
    if (inspect.isclass(value) or inspect.isfunction(value)) and name not in _REAL_MODULE:
        value.__module__ = __name__
    return value


_keras_hook.install()

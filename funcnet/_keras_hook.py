"""Registers funcnet's layers (`Head`, distances) with Keras as soon as Keras is loaded.

`keras.saving.load_model` finds `Head` only once `funcnet._heads` has run (likewise the
distance layers of `funcnet._distances`). Importing it
from `funcnet/__init__` would load TensorFlow on every `import funcnet` (and make
`funcnet --help` take seconds), so instead a one-shot import hook runs it right after
Keras itself finishes loading. `import funcnet` then `load_model(...)` just works.

The hook may fire while any funcnet module is importing Keras, so the modules that
`funcnet._heads` imports (_errors, _graph, _stack, _tasks, _registry) must not import
Keras at module level: they would be half-initialised when `_heads` asks for them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

# The modules whose layers Keras must know to load a model: heads and distances.
_LAYERS = ("funcnet._heads", "funcnet._distances")


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Finds `keras` like everyone else, then imports funcnet._heads after it runs."""

    _looking = False

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "keras" or self._looking:
            return None
        self._looking = True  # find_spec asks every finder again, this one included
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            self._looking = False
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            _register()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Registers `Head` now if Keras is loaded, else as soon as it is."""
    if "keras" in sys.modules:
        _register()
    elif not any(isinstance(f, _AfterKeras) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKeras())


def _register() -> None:
    for module in _LAYERS:
        importlib.import_module(module)

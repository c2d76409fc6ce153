"""Distance layers for siamese models: "euclidean", "manhattan" and "cosine" merges.

Each is a small serializable layer (no `Lambda`), so a model that uses one saves and
loads with `keras.saving.load_model` in safe mode, without `custom_objects`: funcnet
registers them with Keras as soon as Keras loads (funcnet/_keras_hook.py). They take
two tensors of one shape and give one distance per sample, shape `(batch, 1)`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


class _Distance(keras.layers.Layer):
    """The distance between two tensors of one shape, over all but the batch axis."""

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0][0], 1)

    def call(self, inputs: Any) -> Any:
        a, b = inputs
        axes = tuple(range(1, len(a.shape)))
        return ops.expand_dims(self._distance(a, b, axes), -1)

    def _distance(self, a: Any, b: Any, axes: tuple[int, ...]) -> Any:
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="funcnet")
class EuclideanDistance(_Distance):
    """sqrt(sum((a - b)^2)), kept away from sqrt(0) so its gradient stays finite.

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]])
        >>> keras.ops.convert_to_numpy(EuclideanDistance()([a, b]))
        array([[5.]], dtype=float32)
    """

    def _distance(self, a: Any, b: Any, axes: tuple[int, ...]) -> Any:
        squared = ops.sum(ops.square(a - b), axis=axes)
        return ops.sqrt(ops.maximum(squared, keras.config.epsilon()))


@keras.saving.register_keras_serializable(package="funcnet")
class ManhattanDistance(_Distance):
    """sum(|a - b|).

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[3.0, 0.0]]), np.array([[0.0, 4.0]])
        >>> keras.ops.convert_to_numpy(ManhattanDistance()([a, b]))
        array([[7.]], dtype=float32)
    """

    def _distance(self, a: Any, b: Any, axes: tuple[int, ...]) -> Any:
        return ops.sum(ops.abs(a - b), axis=axes)


@keras.saving.register_keras_serializable(package="funcnet")
class CosineDistance(_Distance):
    """1 - cos(a, b): 0 for the same direction, 2 for opposite ones.

    Example:
        >>> import numpy as np
        >>> a, b = np.array([[1.0, 0.0]]), np.array([[-2.0, 0.0]])
        >>> keras.ops.convert_to_numpy(CosineDistance()([a, b]))
        array([[2.]], dtype=float32)
    """

    def _distance(self, a: Any, b: Any, axes: tuple[int, ...]) -> Any:
        eps = keras.config.epsilon()
        dot = ops.sum(a * b, axis=axes)
        norms = ops.sqrt(ops.sum(ops.square(a), axis=axes) * ops.sum(ops.square(b), axis=axes))
        return 1.0 - dot / ops.maximum(norms, eps)

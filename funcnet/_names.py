"""Names Keras can use: every name funcnet is given is checked where it is given.

Keras 3 accepts any string without "/" as a model, layer or input name, but on the
TensorFlow backend each model and layer name becomes a name scope when `fit` traces the
training step, and TensorFlow only takes scope names of ASCII letters, digits and
`. _ - >` (a root scope, the model's own name, must also start with a letter, digit or
"."); a backslash passes that pattern and then fails as a graph node name. A model named
"fake detector" therefore builds, compiles, and fails at the first `fit`: Keras has
already pushed the name onto its own name-scope stack when TensorFlow refuses it, the
entry is never popped, and every later `fit` in the same process (any model) fails until
a restart. An input with a space trains but cannot be exported (`model.export`: the
serving signature needs valid argument names). funcnet applies the one rule on every
backend, so that a model built anywhere trains, saves and exports on TensorFlow too.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from funcnet._errors import FuncnetError, shown

_ALLOWED = re.compile(r"[A-Za-z0-9._>-]+")
_ROOT_START = re.compile(r"[A-Za-z0-9.]")
RULE = "ASCII letters, digits and . _ - > only"


def check_name(name: Any, what: str, *, where: str = "", model: bool = False) -> None:
    """Refuses a name Keras cannot use, saying what in it is wrong and what to use.

    Args:
        name: The name the user gave.
        what: The kind of object it names, for the message, e.g. "Head".
        where: Where the object was given, e.g. " (item 0 of fn.stack)".
        model: A model's own name, which must also start with a letter, digit or ".".

    Raises:
        FuncnetError: an empty name, not a string, or characters Keras cannot use.

    Example:
        >>> check_name("fake_detector", "Model", model=True)
        >>> check_name("fake detector", "Model", model=True)
        Traceback (most recent call last):
        ...
        funcnet.FuncnetError: Model name "fake detector" cannot be used: it has a space.
        Names may hold ASCII letters, digits and . _ - > only...
        Use e.g. "fake_detector".
    """
    if not isinstance(name, str):
        raise FuncnetError(f"{what} name{where} must be a string. Received: name={shown(name)}.")
    problem = _problem(name, model)
    if problem is None:
        return
    if model:
        rule = f"{RULE}, and must start with a letter, a digit or '.'"
        why = "fails at its first fit, and leaves every later fit in the session failing"
    else:
        rule, why = RULE, "fails at the first fit (an input: at model.export)"
    raise FuncnetError(
        f'{what} name "{name}"{where} cannot be used: {problem}. Names may hold {rule} '
        f"(TensorFlow's name-scope rule; on TensorFlow a model with such a name {why}). "
        f'Use e.g. "{suggest(name, what)}".'
    )


def check_layer_names(layers: Any, what: str) -> None:
    """Checks the names of Keras layers (and of the layers inside a model), skipping callables.

    Args:
        layers: Layers, models, `fn.shared` blocks or plain functions.
        what: Where they were given, e.g. "item 0 of fn.stack".
    """
    import keras

    for layer in layers:
        if isinstance(layer, keras.layers.Layer):
            kind = "Model" if isinstance(layer, keras.Model) else "Layer"
            check_name(layer.name, kind, where=f" ({what})")
            inner = getattr(layer, "layers", None)  # a model used as a layer
            if isinstance(inner, list):
                check_layer_names(inner, f'inside model "{layer.name}"')


def check_model_names(model: Any) -> None:
    """Checks a model's own name and every layer name in it (e.g. before compile or fit)."""
    import keras

    if isinstance(model, keras.Model):
        check_name(model.name, "Model", model=True)
        check_layer_names(model.layers, f'in model "{model.name}"')


def suggest(name: str, what: str = "name") -> str:
    """A name Keras can use that reads like the one given.

    Example:
        >>> suggest("fake detector"), suggest("détecteur"), suggest("a/b"), suggest("")
        ('fake_detector', 'detecteur', 'a_b', 'name')
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = "_".join(_ALLOWED.findall(ascii_name)).strip("_-")
    fallback = what.split()[0].lower() if what else "name"
    return cleaned or fallback


def _problem(name: str, model: bool) -> str | None:
    if not name:
        return "it is empty"
    bad = sorted({c for c in name if not _ALLOWED.fullmatch(c)}, key=name.index)
    if bad:
        return "it has " + ", ".join(_char(c) for c in bad)
    if model and not _ROOT_START.match(name):
        return f"it starts with {_char(name[0])}"
    return None


def _char(c: str) -> str:
    if c == " ":
        return "a space"
    if c == "/":
        return 'a slash "/"'
    if c == "\\":
        return 'a backslash "\\"'
    if ord(c) > 127:
        kind = "letter" if c.isalpha() else "character"
        return f'the non-ASCII {kind} "{c}"'
    if c.isspace():
        return f"the whitespace {c!r}"
    return f'"{c}"'

"""The one exception funcnet raises for user mistakes, and the helpers that word it.

Every message names the user's own object, says what was expected, what was received,
and, where the user typed a name, lists the valid choices with a "did you mean".
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable


class FuncnetError(ValueError):
    """A mistake in how funcnet was called: the message names the culprit and the fix.

    It subclasses `ValueError`, so code that already catches Keras's value errors keeps
    working.

    Example:
        >>> import funcnet as fn
        >>> try:
        ...     fn.head(fn.inputs(x=(4,))["x"], "digit", "multiclass")
        ... except fn.FuncnetError as err:
        ...     print(err)
        Head "digit" has task "multiclass", which needs units= (e.g. the number of
        classes): fn.head(x, "digit", "multiclass", units=10).
    """


# Shown as funcnet.FuncnetError in every traceback, whichever module raised it.
FuncnetError.__module__ = "funcnet"


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Returns ' Did you mean "x"?' for the closest choice, or '' when none is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def shown(value: object, limit: int = 80) -> str:
    """A short one-line picture of a value the user passed, for "Received: ..." parts.

    Arrays are shown by type, shape and dtype rather than by a cut-off printout.

    Example:
        >>> import numpy as np
        >>> shown(np.zeros((3, 16)))
        'ndarray of shape (3, 16), dtype float64'
        >>> shown([1, 2]), shown("dense")
        ('[1, 2]', "str 'dense'")
    """
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(shape)}, dtype {value.dtype}"
    text = " ".join(repr(value).split())
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    # A list, tuple or dict shows its type by its brackets; other values need the name.
    return text if isinstance(value, (list, tuple, dict)) else f"{type(value).__name__} {text}"


def whole(value: object, least: int = 1) -> bool:
    """True for a whole number of at least `least`: an int or np.int64, never a bool.

    Example:
        >>> import numpy as np
        >>> whole(np.int64(10)), whole(True), whole(2.0), whole(0)
        (True, False, False, False)
    """
    return (
        isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) >= least
    )


def keras_said(err: BaseException) -> str:
    """The whole message of an error Keras (or the user's code) raised, for quoting.

    Every line is kept: Keras puts the part that explains the error ("Received: ...",
    "Arguments received by ...") after the first line.
    """
    lines = [line.rstrip() for line in str(err).strip().splitlines()]
    return "\n    ".join(lines) if lines else type(err).__name__


def problems_error(call: str, subject: str, problems: list[str]) -> FuncnetError:
    """One error listing every problem a call found, one per line.

    Example:
        >>> print(problems_error("fn.compile", 'model "m"', ["a is wrong", "b is wrong"]))
        fn.compile found 2 problems with model "m":
          - a is wrong
          - b is wrong
    """
    count = f"{len(problems)} problem{'s' * (len(problems) > 1)}"
    lines = "\n".join(f"  - {p}" for p in problems)
    return FuncnetError(f"{call} found {count} with {subject}:\n{lines}")


def unknown_name(kind: str, name: object, choices: Iterable[str]) -> FuncnetError:
    """Builds the error for a name that is not among `choices`.

    Args:
        kind: What the name names, e.g. "output" or "task".
        name: The name the user gave.
        choices: The valid names.

    Returns:
        A `FuncnetError` to raise: the unknown name, the valid ones, a near miss.
    """
    valid = sorted(str(c) for c in choices)
    return FuncnetError(
        f'Unknown {kind} "{name}". Expected one of: {", ".join(valid) or "(none)"}.'
        + did_you_mean(str(name), valid)
    )

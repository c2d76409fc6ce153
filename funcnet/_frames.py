"""pandas DataFrames as data: columns matched to inputs and outputs by name.

A structured data set usually arrives as a DataFrame, one column per feature. A DataFrame
given as `x` (or `y`) is read as a dict of its columns, so each column feeds the input (or
output) of the same name and every name check of `fn.check_data` applies to it. Several
columns feed one vector input in the dict form: `x={"table": df[["a", "b"]], ...}`.

pandas is optional: it is never imported here. A DataFrame is recognised by its type's
module, so a user without pandas never pays for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_frame(data: object) -> bool:
    """True for a pandas DataFrame (without importing pandas)."""
    return type(data).__name__ == "DataFrame" and _from_pandas(data)


def is_series(data: object) -> bool:
    """True for a pandas Series (without importing pandas)."""
    return type(data).__name__ == "Series" and _from_pandas(data)


def columns(frame: Any) -> dict[str, Any]:
    """A DataFrame's columns as {column name: Series}, in the frame's order.

    Example:
        >>> import pandas as pd
        >>> list(columns(pd.DataFrame({"age": [30, 40], "city": ["Oslo", "Rome"]})))
        ['age', 'city']
    """
    return {str(name): frame[name] for name in frame.columns}


def to_numpy(value: Any) -> np.ndarray:
    """A Series or DataFrame as a numpy array; text columns become arrays of Python str.

    A column of pandas' "string" or "category" dtype holds text as objects; missing values
    come back as pandas' own markers (pd.NA, NaT) or NaN, which the value checks name.

    Example:
        >>> import pandas as pd
        >>> to_numpy(pd.Series(["a", "b"], dtype="string")).tolist()
        ['a', 'b']
    """
    if is_series(value) and str(value.dtype) == "category":
        # Numbers stay numbers (a categorical of ids feeds an int input); text is text.
        categories = value.cat.categories
        value = value.astype(categories.dtype if categories.dtype.kind in "biuf" else object)
    return np.asarray(value.to_numpy())  # pd.NA stays: the value checks name it as missing


def _from_pandas(data: object) -> bool:
    return type(data).__module__.split(".")[0] == "pandas"

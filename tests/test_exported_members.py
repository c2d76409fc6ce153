"""The public surface: `__all__` is exactly the public names, sorted, and each resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import funcnet


def test_all_is_sorted_and_exactly_the_exports() -> None:
    assert funcnet.__all__ == sorted(funcnet.__all__)
    assert set(funcnet.__all__) == {*funcnet._EXPORTS, "recipes"}


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in funcnet.__all__:
        member = getattr(funcnet, name)
        assert member.__doc__, f"funcnet.{name} has no docstring"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        funcnet.modle  # noqa: B018 - the access itself is the test
    except AttributeError as err:
        assert "modle" in str(err)
    else:
        raise AssertionError("funcnet.modle resolved")


def test_importing_funcnet_does_not_import_tensorflow() -> None:
    code = "import sys, funcnet; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("first", ["funcnet._tasks", "funcnet._compile", "funcnet.recipes"])
def test_head_is_registered_whichever_module_loads_keras_first(first: str) -> None:
    # The import hook in funcnet/_keras_hook.py must not run into a circular import.
    code = f"import {first}, keras; print('funcnet>Head' in keras.saving.get_custom_objects())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"

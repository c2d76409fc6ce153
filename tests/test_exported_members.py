"""The public surface: listed once (funcnet/__init__.pyi), shown as `funcnet.X`, and nothing
else in `dir(funcnet)`."""

from __future__ import annotations

import ast
import doctest
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import funcnet

STUB = Path(funcnet.__file__).with_suffix(".pyi")


def _stub_names() -> list[str]:
    tree = ast.parse(STUB.read_text())
    return [a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names]


def test_all_is_sorted_and_exactly_the_stubs_names() -> None:
    assert funcnet.__all__ == sorted(funcnet.__all__)
    assert set(funcnet.__all__) == set(_stub_names())


def test_dir_shows_only_the_public_api() -> None:
    assert dir(funcnet) == funcnet.__all__
    for leak in ("Any", "TYPE_CHECKING", "annotations", "importlib", "inspect", "lazy_loader"):
        assert leak not in dir(funcnet)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in funcnet.__all__:
        member = getattr(funcnet, name)
        assert member.__doc__, f"funcnet.{name} has no docstring"


@pytest.mark.parametrize("name", [n for n in _stub_names() if n not in ("recipes", "Head")])
def test_exports_show_as_funcnet_dot_name(name: str) -> None:
    member = getattr(funcnet, name)
    if inspect.isclass(member) or inspect.isfunction(member):
        assert member.__module__ == "funcnet", name


def test_head_keeps_its_module_for_keras_saved_configs() -> None:
    assert funcnet.Head.__module__ == "funcnet._heads"


def test_a_funcnet_error_traceback_says_funcnet_funcnet_error() -> None:
    code = "import funcnet as fn; fn.tasks['binray']"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert 'funcnet.FuncnetError: Unknown task "binray"' in out.stderr


@pytest.mark.parametrize(
    "name", [n for n in _stub_names() if inspect.isclass(getattr(funcnet, n, None))]
)
def test_exported_class_examples_run(name: str) -> None:
    # pytest's module doctests skip a class whose __module__ is not its file's module, so
    # the examples of classes shown as funcnet.X run here.
    member = getattr(funcnet, name)
    finder, runner = (
        doctest.DocTestFinder(recurse=False),
        doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE),
    )
    tests = [t for t in finder.find(member, name) if t.examples]
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


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

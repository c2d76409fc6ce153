"""The `funcnet` command line: draw or summarise a model that a Python function builds.

    funcnet plot mymodels:build -o arch.png     # like `uvicorn module:app`
    funcnet plot model.keras -o arch.html       # a saved model, as an interactive page
    funcnet summary mymodels:build
    funcnet gallery --out pictures/

Only the standard library and funcnet's light modules are imported at start, so
`funcnet --help` answers without loading TensorFlow; each command imports what it needs.
Mistakes end with one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import inspect
import math
import os
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from funcnet._errors import FuncnetError, did_you_mean, keras_said, shown
from funcnet._quiet import native_stderr_held

_EXAMPLE = '"mymodels:build_model" or "path/to/models.py:build_model"'


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the `funcnet` command line and returns its exit status.

    Args:
        argv: The arguments after the program name; default `sys.argv[1:]`.

    Returns:
        0 on success, 1 after a mistake (reported on stderr in one line).

    Example:
        >>> from funcnet._cli import main
        >>> main(["plot", "no_colon_here", "-o", "arch.png"])
        1
    """
    args = _parser().parse_args(argv)
    try:
        with native_stderr_held(enabled=not args.debug):
            args.run(args)
    except FuncnetError as err:
        if args.debug:
            raise
        print(f"funcnet: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="funcnet",
        description="Draw and summarise Keras models built by a Python function.",
        epilog=f"MODEL is a saved .keras file, or MODULE:FACTORY: a function of no arguments "
        f"that returns a keras.Model, e.g. {_EXAMPLE}. The current folder is importable, "
        "like `python -m`.",
    )
    from funcnet import __version__

    parser.add_argument("--version", action="version", version=f"funcnet {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show TensorFlow's log lines and full tracebacks",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    plot = commands.add_parser(
        "plot",
        help="write a picture of the model's architecture",
        description="Write a picture of the architecture of the model FACTORY() returns.",
    )
    plot.add_argument("target", metavar="MODEL", help="a .keras file or MODULE:FACTORY")
    plot.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help="where to write; the extension picks the format: .png, .svg, .pdf, .dot or "
        ".html (interactive page)",
    )
    plot.add_argument(
        "--depth", type=int, help="fold blocks: 1 draws the coarsest, larger unfolds more"
    )
    plot.add_argument(
        "--rankdir",
        choices=["TB", "LR"],
        default="TB",
        help="top to bottom (default) or left to right",
    )
    plot.add_argument("--no-shapes", action="store_true", help="leave out tensor shapes")
    plot.add_argument(
        "--expand-nested", action="store_true", help="draw the layers inside nested models"
    )
    plot.add_argument("--dpi", type=int, default=96, help="resolution of PNG output (96)")
    plot.add_argument("--title", help="a line above the caption")
    plot.set_defaults(run=_plot)

    summary = commands.add_parser(
        "summary",
        help="print the model summary and a table of its outputs",
        description="Print model.summary() and, per output: task, loss, units and the "
        "trainable parameters that feed it.",
    )
    summary.add_argument("target", metavar="MODEL", help="a .keras file or MODULE:FACTORY")
    summary.set_defaults(run=_summary)

    gallery = commands.add_parser(
        "gallery",
        help="draw every seed case and recipe example",
        description="Write a picture of every model in funcnet.gallery: the seed cases "
        "and the recipe examples.",
    )
    gallery.add_argument(
        "--out",
        default="funcnet-gallery",
        metavar="DIR",
        help="folder to write into (default: funcnet-gallery)",
    )
    gallery.add_argument("--format", choices=["png", "svg", "pdf", "dot"], default="png")
    gallery.add_argument("--only", nargs="+", metavar="NAME", help="draw only these models")
    gallery.set_defaults(run=_gallery)
    return parser


def _plot(args: argparse.Namespace) -> None:
    from funcnet._plot import check_target

    check_target(args.output)  # before the (slow) model build
    model = load_model(args.target)
    from funcnet._plot import plot

    plot(
        model,
        args.output,
        show_shapes=not args.no_shapes,
        rankdir=args.rankdir,
        expand_nested=args.expand_nested,
        dpi=args.dpi,
        depth=args.depth,
        title=args.title,
    )
    print(f"wrote {args.output}")


def _summary(args: argparse.Namespace) -> None:
    model = load_model(args.target)
    from funcnet._plot_graph import is_graph_model

    if not is_graph_model(model) or not model.built:
        raise FuncnetError(
            f'Model "{model.name}" ({type(model).__name__}) is a subclassed keras.Model '
            "without a graph of layers (no model.outputs), so it has no per-output table. "
            "Build it with the functional API (or fn.model), or call it on data and use "
            "model.summary()."
        )
    model.summary()
    rows = [["output", "task", "loss", "units", "params feeding it"]]
    rows += [[str(v) for v in row] for row in output_table(model)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print("\nOutputs, in declared order:")
    for row in rows:
        cells = zip(row, widths, strict=True)
        print("  ".join(v.rjust(w) if i >= 3 else v.ljust(w) for i, (v, w) in enumerate(cells)))


def _gallery(args: argparse.Namespace) -> None:
    from funcnet.gallery import write_gallery

    for path in write_gallery(args.out, fmt=args.format, names=args.only):
        print(f"wrote {path}")


def output_table(model: Any) -> list[tuple[str, str, str, int | str, str]]:
    """One row per output, in declared order: name, task, loss, units, parameters feeding it.

    The parameters feeding an output are the trainable parameters of every layer it
    depends on, each layer counted once (a shared layer too).

    Example:
        >>> import funcnet as fn
        >>> from keras import layers
        >>> ins = fn.inputs(x=(4,))
        >>> h = fn.stack(ins["x"], layers.Dense(8))
        >>> m = fn.model(ins, [fn.head(h, "a", "binary"), fn.head(ins["x"], "b", "regression")])
        >>> output_table(m)
        [('a', 'binary', 'binary_crossentropy', 1, '49'), ('b', 'regression', 'mse', 1, '5')]
    """
    from funcnet._graph import declared_outputs, upstream_nodes
    from funcnet._tasks import output_task, tasks

    rows: list[tuple[str, str, str, int | str, str]] = []
    for name, tensor in declared_outputs(model):
        decision = output_task(tensor)
        task = decision.task
        loss = tasks[task].loss if task is not None and task in tasks else None
        if loss is not None and decision.logits:
            loss = f"{getattr(loss, '__name__', loss)} (from logits)"
        layers = {id(n.operation): n.operation for n in upstream_nodes([tensor])}
        params = sum(
            math.prod(int(d) for d in w.shape)
            for layer in layers.values()
            for w in layer.trainable_weights
        )
        units = tensor.shape[-1] if tensor.shape[-1] is not None else "?"
        loss_name = getattr(loss, "__name__", loss) if loss is not None else "-"
        rows.append((str(name), task or "-", str(loss_name), units, f"{params:,}"))
    return rows


def load_model(target: str) -> Any:
    """Loads a saved `.keras` file, or imports `MODULE:FACTORY` and calls the factory.

    Args:
        target: "model.keras", "module.name:function" or "path/to/file.py:function".

    Returns:
        The model.

    Raises:
        FuncnetError: a file Keras cannot load, no colon, a module or file that cannot
            be imported, no such function, something not callable, a factory that
            fails, exits (one that parses sys.argv), or returns no model.
    """
    if target.endswith(".keras"):
        return _load_saved(Path(target))
    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise FuncnetError(f'Expected MODULE:FACTORY, e.g. {_EXAMPLE}. Received: "{target}".')
    module = _import(module_name)
    try:  # the stdlib's reading of "module:attr.attr"; the module is imported already
        factory = pkgutil.resolve_name(f"{module.__name__}:{attr}")
    except AttributeError:
        names = _functions(module)
        raise FuncnetError(
            f'Module "{module_name}" has no function "{attr}". Its functions: '
            f"{', '.join(names) or '(none)'}." + did_you_mean(attr, names)
        ) from None
    if not callable(factory):
        raise FuncnetError(
            f'"{target}" is not a function that returns a model. Received: {shown(factory)}.'
        )
    needed = _required_parameters(factory)
    if needed:
        raise FuncnetError(
            f"{target} must take no arguments, so that funcnet can call it; it needs "
            f"{', '.join(needed)}. Give them defaults, or wrap it: def build(): return "
            f"{attr.rpartition('.')[2]}(...)."
        )
    try:
        model = _call_factory(factory, target)
    except FuncnetError as err:
        raise FuncnetError(f"{target}() failed: {err}") from None
    except Exception as err:  # the user's code: report it in one line, whatever it is
        raise FuncnetError(f"{target}() raised {type(err).__name__}: {keras_said(err)}") from None
    import keras

    if not isinstance(model, keras.Model):
        raise FuncnetError(
            f"{target}() must return a keras.Model. Received: {type(model).__name__}."
        )
    return model


def _load_saved(path: Path) -> Any:
    if not path.is_file():
        raise FuncnetError(f'Cannot load "{path}": there is no such file.')
    import keras  # funcnet's import hook registers its layers with Keras as it loads

    try:
        return keras.saving.load_model(path)
    except Exception as err:  # Keras's many ways to fail on a file: one line, whatever it is
        raise FuncnetError(
            f'Cannot load "{path}" as a Keras model: {type(err).__name__}: '
            + " ".join(str(err).split())  # the whole message, on one line
        ) from None


def _call_factory(factory: Any, target: str) -> Any:
    """Calls the factory with no command-line arguments; one that exits is reported."""
    import contextlib
    import io

    saved, sys.argv = sys.argv, [target]  # our own arguments are not the factory's
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            model = factory()
    except SystemExit as exit_:
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        heard = f' It printed: "{lines[-1].strip()}".' if lines else ""
        raise FuncnetError(
            f"{target}() exited (SystemExit {exit_.code}) instead of returning a model: "
            f"does it parse sys.argv or call sys.exit?{heard} Make the factory build the "
            'model only, and parse arguments under `if __name__ == "__main__":`.'
        ) from None
    finally:
        sys.argv = saved
    sys.stderr.write(said.getvalue())  # what a working factory says is the user's to see
    return model


def _functions(module: Any) -> list[str]:
    """The public functions defined in `module` itself (not those it imported)."""
    return sorted(
        name
        for name, value in vars(module).items()
        if callable(value)
        and not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
    )


def _import(name: str) -> Any:
    if name.endswith(".py") or os.sep in name or "/" in name:
        return _import_file(Path(name))
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like `python -m`: modules in this folder import
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name and (name == err.name or name.startswith(err.name + ".")):
            raise FuncnetError(
                f'Cannot import module "{name}": no module named "{err.name}" in the current '
                "folder or the installed packages. Check the spelling, or give a file path "
                'such as "models.py:build".'
            ) from None
        raise FuncnetError(f'Importing module "{name}" failed: {keras_said(err)}') from None
    except Exception as err:
        raise FuncnetError(
            f'Importing module "{name}" raised {type(err).__name__}: {keras_said(err)}'
        ) from None


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise FuncnetError(f'Cannot import "{path}": there is no such Python file.')
    # A name of its own, so that pkgutil.resolve_name finds this file and not a module of
    # the same name elsewhere on the path.
    name = f"_funcnet_cli_{path.stem}_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FuncnetError(f'Cannot import "{path}": not a Python file.')
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.resolve().parent))  # its sibling modules import too
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        del sys.modules[name]  # as a failed import leaves nothing behind
        raise FuncnetError(
            f'Importing "{path}" raised {type(err).__name__}: {keras_said(err)}'
        ) from None
    return module


def _required_parameters(factory: Any) -> list[str]:
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # builtins and C callables: just call them
        return []
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    return [p.name for p in parameters if p.kind in kinds and p.default is p.empty]

"""Architecture pictures: the public entry `fn.plot` and the `Picture` it returns.

`fn.plot` reads the model's graph (`_plot_graph`), groups it into blocks when an overview
is asked for (`_plot_blocks`), and lays the result out as a pydot graph (`_plot_dot`, with
the labels of `_plot_labels`); `_render` draws it (system `dot`, else graphviz-pure) and
`_plot_html` makes the interactive page. Files are written atomically (`_files`).

Keras is imported inside the functions that draw, so that the command line can check an
output path (`check_target`) before it loads TensorFlow.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from funcnet._errors import FuncnetError, did_you_mean, shown
from funcnet._files import check_writable, write_atomically
from funcnet._plot_blocks import block_tree
from funcnet._plot_dot import to_dot
from funcnet._plot_graph import analyse
from funcnet._render import render, renderer

FORMATS = {".dot": "dot", ".html": "html", ".pdf": "pdf", ".png": "png", ".svg": "svg"}


class Picture:
    """A drawn architecture: shows inline in Jupyter and saves to .png/.svg/.pdf/.dot/.html.

    Args:
        source: The DOT text of the picture.
        page: Makes the interactive HTML page (`.html`, `interactive()`).

    Example:
        >>> import funcnet as fn
        >>> ins = fn.inputs(x=(4,))
        >>> pic = fn.plot(fn.model(ins, fn.head(ins["x"], "y", "binary")))
        >>> "OUTPUT" in pic.source and pic.svg().startswith("<?xml")
        True
    """

    def __init__(self, source: str, page: Callable[[], str] | None = None) -> None:
        self.source = source
        self.path: Path | None = None  # the file last written by `save`
        self.shrunk = False  # True when Graphviz had to shrink the PNG to fit
        self.scale: float | None = None  # how much, when Graphviz says
        self._page = page
        self._cache: dict[str, bytes] = {}

    def render(self, fmt: str) -> bytes:
        """Returns the picture as bytes in `fmt` ("png", "svg", "pdf", "dot" or "html").

        Raises:
            FuncnetError: no program can draw `fmt`, or it failed.
        """
        if fmt == "dot":
            return self.source.encode()
        if fmt == "html":
            if self._page is None:
                raise FuncnetError("This picture has no interactive page; use fn.plot.")
            if "html" not in self._cache:  # the page is built once, shown or saved
                self._cache["html"] = self._page().encode()
            return self._cache["html"]
        if fmt not in self._cache:
            drawn = render(self.source, fmt)
            if drawn.shrunk:
                self.scale, self.shrunk = drawn.scale, True
                how = f"to {drawn.scale:.0%} of its size " if drawn.scale else ""
                warnings.warn(
                    f"Graphviz shrank the PNG {how}to fit its size limits, so small text may "
                    "be unreadable. Use fn.plot(..., depth=1) for an overview, a lower dpi, "
                    "or .svg/.html, which have no size limit.",
                    stacklevel=3,
                )
            self._cache[fmt] = drawn.data
        return self._cache[fmt]

    def svg(self) -> str:
        """Returns the picture as SVG text."""
        return self.render("svg").decode()

    def png(self) -> bytes:
        """Returns the picture as PNG bytes."""
        return self.render("png")

    def interactive(self) -> Page:
        """The zoomable, searchable page, shown inline in Jupyter (`fn.plot(m).interactive()`)."""
        return Page(self.render("html").decode())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the picture; the extension (.png, .svg, .pdf, .dot, .html) picks the format.

        Returns:
            The path written.

        Raises:
            FuncnetError: unknown extension, a path that cannot be written, or no program
                to draw the format (then the DOT source is written next to `path`, unless
                a file of that name exists: a user's own `.dot` is never replaced).
        """
        target = Path(path)
        fmt = check_target(target)
        try:
            data = self.render(fmt)
        except FuncnetError as err:
            if fmt in ("dot", "html") or _can_draw(fmt):
                raise
            dot_path = target.with_suffix(".dot")
            if dot_path.exists():
                raise FuncnetError(f"{err} ({dot_path} exists and was left as it is.)") from None
            write_atomically(dot_path, self.source.encode())
            raise FuncnetError(f"{err} The graph's DOT source was saved to {dot_path}.") from None
        write_atomically(target, data)
        self.path = target
        return target

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return f"<funcnet Picture: {self.source.count('label=<')} nodes; .save(path) to write it>"


class Page:
    """The interactive page of a picture, inline in Jupyter (scripts kept in an iframe)."""

    def __init__(self, html_text: str) -> None:
        self.html = html_text

    def _repr_html_(self) -> str:
        import html

        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            'style="width:100%;height:600px;border:1px solid #ddd"></iframe>'
        )


def plot(
    model: Any,
    path: str | os.PathLike[str] | None = None,
    *,
    depth: int | None = None,
    show_shapes: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 96,
    show_activations: bool = True,
    title: str | None = None,
) -> Picture:
    """Draws a model's architecture, writing it to `path` if one is given.

    Every layer shows its name, kind and the settings that define it; inputs, outputs
    (with their task and loss), merges, residual adds (dashed skip edges) and shared
    layers (call count, shapes of each call) are drawn distinctly. With `depth`, blocks
    (nested models, a trunk under several heads, stages and blocks of the model's own
    structure) are folded into one node each, with their shapes and parameter count.

    Args:
        model: A built `keras.Model`.
        path: Where to write; the extension picks the format: .png, .svg, .pdf, .dot or
            .html (a self-contained page: zoom, pan, search, blocks that unfold on click).
            `None` only returns the picture.
        depth: None draws every layer; 1 the coarsest blocks; larger depths unfold more.
        show_shapes: Show input and output shapes of each call.
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: Draw the layers inside nested models instead of one box.
        dpi: Resolution of PNG output, a positive number.
        show_activations: Show units, filters, kernel sizes and activation.
        title: A line shown above the caption (the model's name, layer and parameter
            count).

    Returns:
        A `Picture`: shown inline in Jupyter (SVG), `.save(path)` writes it again.

    Raises:
        FuncnetError: not a built Keras model, unknown extension, `rankdir`, `depth` or
            `dpi`, a path that cannot be written, or no program to draw the format.
            `path` is never left half-written.

    Example:
        >>> import funcnet as fn
        >>> ins = fn.inputs(audio=(10,), video=(20,))
        >>> h = fn.merge([ins["audio"], ins["video"]], "concat")
        >>> model = fn.model(ins, fn.head(h, "fake", "binary"))
        >>> pic = fn.plot(model)
        >>> "task: binary" in pic.source
        True
    """
    import keras

    if not isinstance(model, keras.Model):
        raise FuncnetError(f"fn.plot needs a keras.Model. Received: {type(model).__name__}.")
    if not model.built:
        raise FuncnetError(f'Model "{model.name}" is not built yet; call it on data first.')
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise FuncnetError(
            f'rankdir must be "TB", "LR", "BT" or "RL". Received: rankdir={rankdir!r}.'
        )
    _check_number("dpi", dpi, whole=False)
    if depth is not None:
        _check_number("depth", depth, whole=True)
    target = Path(path) if path is not None else None
    if target is not None:
        check_target(target)
    options: dict[str, Any] = dict(
        show_shapes=show_shapes, show_acts=show_activations, rankdir=rankdir, dpi=dpi
    )
    facts = analyse(model, expand_nested or depth is not None)
    tree = block_tree(facts, model) if depth is not None else []
    source = to_dot(model, facts, tree, depth, title=title, clusters=depth is not None, **options)

    def page() -> str:
        from funcnet._plot_html import page as make_page

        # The page always draws every nested layer, in blocks: what plot worked out for the
        # picture serves again when it was drawn the same way.
        full = facts if expand_nested or depth is not None else analyse(model, True)
        everything = tree if depth is not None else block_tree(full, model)
        dot = to_dot(model, full, everything, None, title=title, clusters=True, **options)
        return make_page(model, dot, everything, full.layers, depth)

    picture = Picture(source, page)
    if target is not None:
        picture.save(target)
    else:
        picture.render("svg")  # fail here, not inside Jupyter's display machinery
    return picture


def _can_draw(fmt: str) -> bool:
    try:
        renderer(fmt)
    except FuncnetError:
        return False
    return True


def _check_number(name: str, value: Any, *, whole: bool) -> None:
    """Refuses a `dpi` or `depth` that is not a positive (whole) number, by name."""
    import numbers

    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and value > 0
    if whole and ok:
        ok = float(value).is_integer()
    if not ok:
        wanted = "a whole number >= 1" if whole else "a positive number such as 96"
        raise FuncnetError(f"fn.plot's {name} must be {wanted}. Received: {name}={shown(value)}.")


def check_target(path: str | os.PathLike[str]) -> str:
    """Checks that a picture can be written to `path` and returns its format.

    Raises:
        FuncnetError: an unknown extension, or a folder that is missing or not writable.
    """
    target = Path(path)
    if target.is_dir():  # before the extension: a folder's name has none to blame
        raise FuncnetError(
            f'Cannot write "{target}": it is a folder. Give a file in it, '
            f'e.g. "{target / "arch.png"}".'
        )
    fmt = _format_of(target)
    check_writable(target)
    return fmt


def _format_of(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in FORMATS:
        shown_ext = f'its extension "{ext}"' if ext else "its name, which has no extension"
        raise FuncnetError(
            f'Cannot tell the picture format of "{path}" from {shown_ext}. Expected one of: '
            f"{', '.join(FORMATS)}." + did_you_mean(ext, FORMATS)
        )
    return FORMATS[ext]

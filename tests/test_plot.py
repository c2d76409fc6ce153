"""fn.plot: the graph it draws (checked in the DOT text), the files it writes, its failures.

Pictures are checked by content, not pixels: every layer name, the tags of inputs,
outputs, merges, shared layers and residual adds, the edges of shared calls and skip
connections; written files are opened as PNG (magic bytes and IHDR size), SVG (parsed
XML) or PDF.
"""

from __future__ import annotations

import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import keras
import pytest
from keras import layers

import funcnet as fn
from funcnet import gallery

TIMES = "\u00d7"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def edges(source: str, model: keras.Model) -> list[tuple[str, str, str]]:
    """(source layer, destination layer, attributes) for every edge in the DOT text."""
    names = {str(id(layer)): layer.name for layer in model.layers}
    found = re.findall(r"^(\d+) -> (\d+)(?: \[(.*)\])?;$", source, flags=re.M)
    return [(names[a], names[b], attrs) for a, b, attrs in found]


def node_label(source: str, layer: keras.layers.Layer) -> str:
    match = re.search(rf"^{id(layer)} \[label=<(.*)>, ", source, flags=re.M)
    assert match, f"no node for {layer.name}"
    return match.group(1)


# ---- graph content ------------------------------------------------------------------------
GALLERY = [name for name in gallery.factories() if name != "s1a"]  # s1a: 400M weights


@pytest.mark.parametrize("name", GALLERY)
def test_every_layer_is_named_and_inputs_outputs_are_tagged(name: str) -> None:
    model = gallery.factories()[name]()
    source = fn.plot(model).source
    for layer in model.layers:
        assert f"<b>{layer.name}</b>" in source, layer.name
    for t in model.inputs:
        assert "INPUT" in node_label(source, t._keras_history.operation)
    for t in model.outputs:
        head = t._keras_history.operation
        assert f"OUTPUT · task: {head.task}" in node_label(source, head)


def test_image_text_classifier_draws_at_a_small_size() -> None:
    source = fn.plot(gallery.s1a(size=8)).source
    assert "<b>lstm</b>" in source and "(None, 8, 8, 3)" in source


def test_shared_layer_shows_call_count_and_one_edge_per_call() -> None:
    model = gallery.s1b()
    source = fn.plot(model).source
    assert f"SHARED {TIMES}2" in node_label(source, model.get_layer("encoder"))
    into = sorted(
        (src, re.search(r'label="\s*(call \d)', attrs).group(1))  # type: ignore[union-attr]
        for src, dst, attrs in edges(source, model)
        if dst == "encoder"
    )
    assert into == [("left", "call 1"), ("right", "call 2")]
    out = [attrs for src, dst, attrs in edges(source, model) if (src, dst) == ("encoder", "pair")]
    assert len(out) == 2 and {"call 1" in a for a in out} == {True, False}


def test_shared_layer_lists_shapes_per_call_when_they_differ() -> None:
    ins = fn.inputs(seq=(3, 8), vec=(8,))
    dense = fn.shared(layers.Dense(4, name="proj"))
    a = fn.stack(dense(ins["seq"]), layers.Flatten(name="flat"))
    model = fn.model(ins, fn.head(fn.merge([a, dense(ins["vec"])], "concat"), "y", "binary"))
    label = node_label(fn.plot(model).source, model.get_layer("proj"))
    assert "call 1: (None, 3, 8) → (None, 3, 4)" in label
    assert "call 2: (None, 8) → (None, 4)" in label


def raw_identity_skip() -> keras.Model:
    x = keras.Input((8,), name="x")
    h = layers.Dense(8, name="f1")(x)
    h = layers.Dense(8, name="f2")(h)
    return keras.Model(x, layers.Add(name="plus")([x, h]))


def raw_projection_skip() -> keras.Model:
    x = keras.Input((8, 8, 4), name="img")
    s = layers.Conv2D(16, 1, name="proj")(x)
    s = layers.BatchNormalization(name="proj_bn")(s)
    h = layers.Conv2D(16, 3, padding="same", name="c1")(x)
    h = layers.Conv2D(16, 3, padding="same", name="c2")(h)
    h = layers.BatchNormalization(name="c2_bn")(h)
    return keras.Model(x, layers.Add(name="plus")([s, h]))


def raw_parallel_sum() -> keras.Model:
    x = keras.Input((8,), name="x")
    a, b = layers.Dense(4, name="a")(x), layers.Dense(4, name="b")(x)  # same depth: no skip
    return keras.Model(x, layers.Add(name="plus")([a, b]))


@pytest.mark.parametrize(
    ("build", "skip_edges"),
    [
        (raw_identity_skip, {("x", "plus")}),
        (raw_projection_skip, {("img", "proj"), ("proj", "proj_bn"), ("proj_bn", "plus")}),
        (gallery.s2c_fixed, {("conv_2", "res_add")}),
        (raw_parallel_sum, set()),
    ],
    ids=["keras-identity", "keras-projection", "funcnet-residual", "not-a-residual"],
)
def test_skip_connections_are_found_from_the_graph(build, skip_edges) -> None:
    model = build()
    source = fn.plot(model).source
    dashed = {(s, d) for s, d, attrs in edges(source, model) if "dashed" in attrs}
    assert dashed == skip_edges
    add = next(layer for layer in model.layers if isinstance(layer, layers.Add))
    assert ("RESIDUAL" in node_label(source, add)) == bool(skip_edges)
    assert source.count("xlabel=skip") == (1 if skip_edges else 0)


def test_funcnet_projection_shortcut_counts_as_skip() -> None:
    image = fn.inputs(image=(8, 8, 4))["image"]
    out = fn.residual(image, layers.Conv2D(8, 3, padding="same", name="wide"), name="blk")
    model = fn.model({"image": image}, out)
    dashed = {(s, d) for s, d, a in edges(fn.plot(model).source, model) if "dashed" in a}
    assert dashed == {("image", "blk_projection"), ("blk_projection", "blk_add")}


def test_resnet50_every_add_is_a_residual() -> None:
    model = keras.applications.ResNet50(weights=None)
    source = fn.plot(model, show_shapes=False).source
    adds = [layer for layer in model.layers if isinstance(layer, layers.Add)]
    assert len(adds) == 16
    assert all("RESIDUAL" in node_label(source, add) for add in adds)
    assert source.count("<b>") == len(model.layers)


def test_raw_keras_outputs_show_their_name_and_inferred_task() -> None:
    x = keras.Input((4,), name="x")
    out = {
        "spam": layers.Dense(1, activation="sigmoid", name="dense_out")(x),
        "score": layers.Dense(1, name="raw_scores")(x),
    }
    model = keras.Model(x, out)
    source = fn.plot(model).source
    label = node_label(source, model.get_layer("dense_out"))
    assert 'OUTPUT "spam" · task: binary (inferred) · loss: binary_crossentropy' in label
    # Raw scores are regression or a classifier's logits: the picture does not guess either.
    label = node_label(source, model.get_layer("raw_scores"))
    assert 'OUTPUT "score" · task: ? (name it: fn.compile(tasks=...))' in label


@pytest.mark.parametrize("expand", [False, True], ids=["nested-as-one-box", "expanded"])
def test_nested_model(expand: bool) -> None:
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="encoder")
    x = fn.inputs(x=(4,))
    model = fn.model(x, fn.head(inner(x["x"]), "y", "binary"))
    source = fn.plot(model, expand_nested=expand).source
    assert ("<b>inner_dense</b>" in source) == expand
    assert "<b>encoder</b>" in source or expand


def test_expanded_nested_model_called_twice_is_marked_shared() -> None:
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="enc")
    ins = fn.inputs(a=(4,), b=(4,))
    pair = fn.merge([inner(ins["a"]), inner(ins["b"])], "concat")
    source = fn.plot(fn.model(ins, fn.head(pair, "y", "binary")), expand_nested=True).source
    assert f'label="enc · SHARED {TIMES}2"' in source


def test_jupyter_shows_the_svg() -> None:
    formatter = pytest.importorskip("IPython.core.formatters").DisplayFormatter()
    data, _ = formatter.format(fn.plot(gallery.s2a()))
    assert data["image/svg+xml"].lstrip().startswith("<?xml")
    assert "fn.plot" not in data["text/plain"] and "Picture" in data["text/plain"]


def test_sequential_and_subclassed_models() -> None:
    seq = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d1")], name="seq")
    assert "OUTPUT" in node_label(fn.plot(seq).source, seq.get_layer("d1"))

    class Doubler(keras.Model):
        def call(self, x):
            return x * 2

    sub = Doubler(name="doubler")
    sub(keras.ops.zeros((1, 3)))
    assert "MODEL" in node_label(fn.plot(sub).source, sub)


def test_options_reach_the_graph() -> None:
    model = gallery.s2a()
    source = fn.plot(model, rankdir="LR", show_shapes=False, title="My model").source
    assert "rankdir=LR" in source and "(None, 10)" not in source
    assert 'label="My model\\ns2a: 6 layers' in source


# ---- files ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> keras.Model:
    return gallery.s2b_fixed()


def test_png_is_a_valid_image_of_plausible_size(small, tmp_path: Path) -> None:
    path = tmp_path / "arch.png"
    assert fn.plot(small, path).path == path
    width, height = png_size(path.read_bytes())
    assert 200 < width < 2000 and 200 < height < 2000


def test_svg_parses_and_names_every_layer(small, tmp_path: Path) -> None:
    fn.plot(small, tmp_path / "arch.svg")
    root = ET.parse(tmp_path / "arch.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {layer.name for layer in small.layers} <= texts


@pytest.mark.parametrize(("ext", "magic"), [(".pdf", b"%PDF"), (".dot", b"digraph")])
def test_pdf_and_dot(small, tmp_path: Path, ext: str, magic: bytes) -> None:
    if ext == ".pdf" and shutil.which("dot") is None:
        pytest.skip("a PDF needs Graphviz's dot (make test installs it when run as root)")
    fn.plot(small, tmp_path / f"arch{ext}")
    assert (tmp_path / f"arch{ext}").read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [f"arch{ext}"]  # no temporary left over


def test_inline_picture_renders_and_saves(small, tmp_path: Path) -> None:
    picture = fn.plot(small)
    assert picture.path is None
    assert ET.fromstring(picture._repr_svg_().encode()).tag.endswith("svg")
    assert png_size(picture._repr_png_())[0] > 100
    picture.save(tmp_path / "later.png")
    assert png_size((tmp_path / "later.png").read_bytes()) == png_size(picture.png())


# ---- failures ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("arch.jpg", r'"\.jpg".*\.png.*Did you mean "\.png"'),
        ("arch", r"has no extension. Expected one of: .dot, .html, .pdf, .png, .svg"),
    ],
    ids=["unknown-extension", "no-extension"],
)
def test_bad_extension_names_the_valid_ones(small, tmp_path: Path, name: str, match: str) -> None:
    with pytest.raises(fn.FuncnetError, match=match):
        fn.plot(small, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_missing_folder_is_named(small, tmp_path: Path) -> None:
    with pytest.raises(fn.FuncnetError, match=r'folder ".*no_such_dir" does not exist'):
        fn.plot(small, tmp_path / "no_such_dir" / "arch.png")


def test_path_that_is_a_folder(small, tmp_path: Path) -> None:
    (tmp_path / "pics.png").mkdir()
    with pytest.raises(fn.FuncnetError, match=r'"pics.png".*is a folder|pics.png'):
        fn.plot(small, tmp_path / "pics.png")


def test_unwritable_folder(small, tmp_path: Path, monkeypatch) -> None:
    # Root may write anywhere, so deny the write where it happens: the temporary file.
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("funcnet._files.tempfile.mkstemp", denied)
    (tmp_path / "arch.png").write_bytes(b"old picture")
    with pytest.raises(fn.FuncnetError, match=r'Cannot write ".*arch.png": Permission denied'):
        fn.plot(small, tmp_path / "arch.png")
    assert (tmp_path / "arch.png").read_bytes() == b"old picture"


def test_without_dot_the_source_is_kept_and_nothing_is_half_written(
    small, tmp_path: Path, monkeypatch
) -> None:
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr("funcnet._render.pure_renderer", lambda: None)  # no renderer at all
    (tmp_path / "arch.png").write_bytes(b"old picture")
    with pytest.raises(fn.FuncnetError) as err:
        fn.plot(small, tmp_path / "arch.png")
    message = str(err.value)
    install = ["pip install graphviz-pure", "apt-get install graphviz", "brew install graphviz"]
    assert all(how in message for how in install)
    assert str(tmp_path / "arch.dot") in message
    assert (tmp_path / "arch.dot").read_text().startswith("digraph")
    assert (tmp_path / "arch.png").read_bytes() == b"old picture"
    with pytest.raises(fn.FuncnetError, match="apt-get install graphviz"):
        fn.plot(small)  # inline: fails at the call, not inside Jupyter's display


def test_dot_failure_keeps_the_existing_file(small, tmp_path: Path, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").write_text("#!/bin/sh\necho 'Error: layout exploded' >&2\nexit 1\n")
    (bin_dir / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    (tmp_path / "arch.svg").write_bytes(b"old picture")
    with pytest.raises(fn.FuncnetError, match="layout exploded"):
        fn.plot(small, tmp_path / "arch.svg")
    assert (tmp_path / "arch.svg").read_bytes() == b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch.svg", "bin"]


def test_failed_rename_leaves_no_temporary(small, tmp_path: Path, monkeypatch) -> None:
    def no_rename(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("funcnet._files.os.replace", no_rename)
    with pytest.raises(fn.FuncnetError, match="No space left"):
        fn.plot(small, tmp_path / "arch.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda m: fn.plot("not a model"), r"keras.Model. Received: str"),
        (lambda m: fn.plot(m, rankdir="UP"), r"rankdir=.UP."),
        (lambda m: fn.plot(keras.Sequential([layers.Dense(2)], name="seq")), r'"seq" is not built'),
    ],
    ids=["not-a-model", "bad-rankdir", "not-built"],
)
def test_bad_arguments(small, call, match: str) -> None:
    with pytest.raises(fn.FuncnetError, match=match):
        call(small)

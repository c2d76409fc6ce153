"""Overviews (`depth=`), the labels that define a layer, and drawing without Graphviz.

Checked by graph content (node counts and labels in the DOT text) and by opening the PNG
and SVG that graphviz-pure draws when `dot` is removed from PATH.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import keras
import pytest
from keras import layers

import funcnet as fn
from funcnet import gallery
from tests.test_plot import TIMES, node_label, png_size

GALLERY = [name for name in gallery.factories() if name != "s1a"]  # s1a: 400M weights
# Keras Applications, small where the architecture allows it (the blocks are the same).
APPLICATIONS = {
    "ResNet50": lambda: keras.applications.ResNet50(weights=None),
    "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3)),
    "DenseNet121": lambda: keras.applications.DenseNet121(weights=None, input_shape=(64, 64, 3)),
    "InceptionV3": lambda: keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3)),
    "EfficientNetB0": lambda: keras.applications.EfficientNetB0(
        weights=None, input_shape=(64, 64, 3)
    ),
    "NASNetMobile": lambda: keras.applications.NASNetMobile(weights=None, input_shape=(96, 96, 3)),
}
# Most nodes a depth=1 picture may have to read on one screen.
ONE_SCREEN = {"ResNet50": 40, "default": 30}


def nodes(source: str) -> int:
    return source.count("label=<")


def no_dot(monkeypatch, tmp_path: Path) -> None:
    """Graphviz's dot is gone from PATH: graphviz-pure (beside this Python) must draw."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


# ---- depth overviews ------------------------------------------------------------------------
@pytest.mark.parametrize("name", APPLICATIONS)
def test_depth_1_of_every_keras_application_fits_one_screen(name: str, tmp_path: Path) -> None:
    model = APPLICATIONS[name]()
    overview = fn.plot(model, tmp_path / "arch.png", depth=1)
    assert 4 <= nodes(overview.source) <= ONE_SCREEN.get(name, ONE_SCREEN["default"])
    width, height = png_size((tmp_path / "arch.png").read_bytes())
    assert width <= 2000 and height <= 4000, (width, height)
    deeper = fn.plot(model, depth=2).source
    assert nodes(overview.source) < nodes(deeper) < len(model.layers)
    # Blocks are named by the model's own names, never by Keras's automatic ones.
    blocks = re.findall(r'id="block:([^"]*)"', overview.source)
    assert blocks
    assert not [b for b in blocks if re.search(r"\b(conv2d|activation|add)_\d+\b", b)], blocks


def test_resnet50_overview_names_its_stages() -> None:
    model = APPLICATIONS["ResNet50"]()
    source = fn.plot(model, depth=1).source
    for stage in ("conv1", "conv2", "conv3", "conv4", "conv5"):
        assert f"<b>{stage}</b>" in source
    assert "(None, 56, 56, 64) → (None, 56, 56, 256)" in source  # conv2's shapes
    assert "62 layers, 7,129,088 parameters" in source  # conv4
    two = fn.plot(model, depth=2).source
    assert "<b>conv4_block6</b>" in two and re.search(r"label=\"?conv4\"?;", two)  # a cluster


def test_inlined_backbone_under_two_heads_is_one_trunk_node() -> None:
    base = keras.applications.MobileNetV2(
        weights=None, include_top=False, input_shape=(96, 96, 3), pooling="avg"
    )
    breed = fn.head(base.output, "breed", "multiclass", units=37)
    model = keras.Model(
        base.input, {"breed": breed, "is_cat": fn.head(base.output, "is_cat", "binary")}
    )
    source = fn.plot(model, depth=1).source
    labels = re.findall(r"<b>([^<]*)</b>", source)
    assert labels == [base.layers[0].name, "trunk", "breed", "is_cat"], labels
    assert "154 layers" in source


def test_nested_model_is_one_block_that_unfolds() -> None:
    inner_in = keras.Input((4,), name="inner_in")
    h = layers.Dense(8, name="enc_1")(inner_in)
    inner = keras.Model(inner_in, layers.Dense(3, name="enc_2")(h), name="encoder")
    x = fn.inputs(x=(4,))
    model = fn.model(x, fn.head(inner(x["x"]), "y", "binary"))
    one = fn.plot(model, depth=1).source
    assert "<b>encoder</b>" in one and "<b>enc_1</b>" not in one and "MODEL" in one
    two = fn.plot(model, depth=2).source
    assert "<b>enc_1</b>" in two and "<b>enc_2</b>" in two and "label=encoder" in two


def test_funcnet_residuals_fold_into_named_blocks() -> None:
    image = fn.inputs(image=(8, 8, 4))["image"]
    h = fn.stack(image, layers.Conv2D(8, 3, padding="same", name="stem"))
    for i in (1, 2, 3):
        h = fn.residual(h, layers.Conv2D(8, 3, padding="same", name=f"c{i}"), name=f"res{i}")
    model = fn.model({"image": image}, fn.head(layers.Flatten(name="flat")(h), "y", "binary"))
    source = fn.plot(model, depth=1).source
    names = re.findall(r"<b>([^<]*)</b>", source)
    assert {"res1", "res2", "res3"} <= set(names) or "stem … res3_add" in " ".join(names), names
    assert nodes(source) < len(model.layers)


def test_a_shared_block_of_several_layers_folds_into_one_node() -> None:
    ins = fn.inputs(left=(16,), right=(16,))
    enc = fn.shared([layers.Dense(8, name="enc_1"), layers.Dense(4, name="enc_2")])
    pair = fn.merge([enc(ins["left"]), enc(ins["right"])], "concat", name="pair")
    model = fn.model(ins, fn.head(pair, "same", "binary"))
    source = fn.plot(model, depth=1).source
    assert re.findall(r"<b>([^<]*)</b>", source) == ["left", "right", "enc", "pair", "same"]
    assert f"SHARED {TIMES}2" in source and "2 layers, 172 parameters" in source
    assert "<b>enc_1</b>" in fn.plot(model, depth=2).source


# ---- what defines a layer -----------------------------------------------------------------------
def settings_model() -> keras.Model:
    ins = fn.inputs(image=(16, 16, 3), tokens=((6,), "int32"))
    h = fn.stack(
        ins["image"],
        [
            layers.Conv2D(8, 3, strides=2, padding="valid", name="strided"),
            layers.Conv2D(8, 3, dilation_rate=2, padding="same", name="dilated"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Dropout(0.25, name="drop"),
            layers.Flatten(name="flat"),
        ],
    )
    t = layers.Embedding(50, 8, name="embed")(ins["tokens"])
    t = layers.MultiHeadAttention(num_heads=4, key_dim=2, name="attend")(t, t)
    t = layers.GlobalAveragePooling1D(name="avg")(t)
    both = fn.merge([h, t], "concat", name="both")
    outs = [fn.head(both, "zeta", "binary"), fn.head(both, "alpha", "regression", units=2)]
    return fn.model(ins, outs, name="settings")


LABELS = {
    "kernel-stride-valid": ("strided", f"Conv2D(8, 3{TIMES}3, stride 2{TIMES}2, valid)"),
    "dilation": ("dilated", f"Conv2D(8, 3{TIMES}3, dilation 2{TIMES}2)"),
    "pool": ("pool", f"MaxPooling2D(2{TIMES}2, stride 2{TIMES}2, valid)"),
    "dropout-rate": ("drop", "Dropout(rate 0.25)"),
    "attention-heads": ("attend", "MultiHeadAttention(4 heads, 2)"),
    "output-task-and-loss": ("zeta", "OUTPUT · task: binary · loss: binary_crossentropy"),
}


@pytest.mark.parametrize(("layer", "text"), LABELS.values(), ids=LABELS.keys())
def test_labels_show_what_defines_the_layer(layer: str, text: str) -> None:
    model = settings_model()
    assert text in node_label(fn.plot(model).source, model.get_layer(layer))


def test_outputs_in_declared_order_and_overridden_loss() -> None:
    model = settings_model()
    model.compile(optimizer="adam", loss={"zeta": "hinge", "alpha": "mae"})
    source = fn.plot(model).source
    assert "outputs in order: zeta, alpha" in source  # declared, not sorted
    assert source.index("<b>zeta</b>") < source.index("<b>alpha</b>")
    assert "loss: hinge (compiled)" in node_label(source, model.get_layer("zeta"))
    assert "loss: mae (compiled)" in node_label(source, model.get_layer("alpha"))


def test_inferred_task_is_marked() -> None:
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Dense(5, activation="softmax", name="probs")(x))
    label = node_label(fn.plot(model).source, model.get_layer("probs"))
    assert "task: multiclass (inferred)" in label


# ---- without Graphviz: graphviz-pure ----------------------------------------------------------
@pytest.mark.parametrize("name", GALLERY)
def test_every_gallery_model_draws_without_dot(name: str, tmp_path: Path, monkeypatch) -> None:
    no_dot(monkeypatch, tmp_path)
    model = gallery.factories()[name]()
    fn.plot(model, tmp_path / "arch.png")
    width, height = png_size((tmp_path / "arch.png").read_bytes())
    assert 100 < width < 3000 and 100 < height < 4000
    fn.plot(model, tmp_path / "arch.svg")
    root = ET.parse(tmp_path / "arch.svg").getroot()
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert all(layer.name in texts for layer in model.layers)


def test_unicode_arrows_and_signs_survive_without_dot(tmp_path: Path, monkeypatch) -> None:
    no_dot(monkeypatch, tmp_path)
    svg = fn.plot(gallery.s1b()).svg()  # fresh picture: rendered by graphviz-pure
    assert f"SHARED {TIMES}2" in svg and "(None, 128) → (None, 64)" in svg and "·" in svg


def test_resnet50_draws_without_dot(tmp_path: Path, monkeypatch) -> None:
    no_dot(monkeypatch, tmp_path)
    model = APPLICATIONS["ResNet50"]()
    fn.plot(model, tmp_path / "arch.png", show_shapes=False)
    width, height = png_size((tmp_path / "arch.png").read_bytes())
    assert height > 10 * width  # every layer, top to bottom


def test_canary_call_numbers_read_keras_private_inbound_nodes() -> None:
    """_graph.call_number reads Keras's private `_inbound_nodes` (no public API tells which
    call of a shared layer a node is); this fails first when Keras changes it."""
    from funcnet._graph import call_number, call_of

    shared = layers.Dense(2, name="twice")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    first, second = shared(a), shared(b)
    assert (call_number(call_of(first)), call_number(call_of(second))) == (1, 2)
    assert keras.__version__.startswith("3."), keras.__version__

"""Every architecture in shared/SEED_CASES.md, built with funcnet and with raw Keras.

Each case asserts equal trainable parameter counts, output names equal to the head
names, and one epoch of training on data keyed by name with a finite loss. S2b and S2c,
which cannot build as written, assert funcnet's error instead, then build the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn
from tests.conftest import synthetic

W = 16  # the width of S0a/S0b's audio and video windows


def trainable(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


# ---- S0a: two stacks, one common output stack ------------------------------------------
def s0a_funcnet() -> keras.Model:
    return fn.recipes.multi_input(
        {"audio": (W,), "video": (W,)},
        encoders=lambda: [layers.Dense(20), layers.Dense(10)],
        trunk=layers.Dense(10),
        heads={"fake": "binary"},
    )


def s0a_builder() -> keras.Model:
    ins = fn.inputs(audio=(W,), video=(W,))
    a = fn.stack(ins["audio"], [layers.Dense(20), layers.Dense(10)])
    v = fn.stack(ins["video"], [layers.Dense(20), layers.Dense(10)])
    h = fn.merge([a, v], "concat")
    return fn.model(ins, fn.head(fn.stack(h, layers.Dense(10)), "fake", "binary"))


def s0a_keras() -> keras.Model:
    audio = keras.Input((W,), name="audio")
    video = keras.Input((W,), name="video")
    a = layers.Dense(20)(audio)
    a = layers.Dense(10)(a)
    v = layers.Dense(20)(video)
    v = layers.Dense(10)(v)
    h = layers.Concatenate()([a, v])
    h = layers.Dense(10)(h)
    out = layers.Dense(1, activation="sigmoid", name="fake")(h)
    return keras.Model(inputs={"audio": audio, "video": video}, outputs=out)


# ---- S0b: one input, two outputs --------------------------------------------------------
def s0b_funcnet() -> keras.Model:
    return fn.recipes.multi_output(
        {"audio": (W,)},
        trunk=[layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu")],
        heads={"mesh": ("regression", 300), "texture": ("regression", 200)},
    )


def s0b_keras() -> keras.Model:
    audio = keras.Input((W,), name="audio")
    h = layers.Dense(64, activation="relu")(audio)
    h = layers.Dense(64, activation="relu")(h)
    mesh = layers.Dense(300, name="mesh")(h)
    texture = layers.Dense(200, name="texture")(h)
    return keras.Model(audio, {"mesh": mesh, "texture": texture})


# ---- S1a: image + text classifier -------------------------------------------------------
def s1a_funcnet(size: int = 224, init: str = "glorot_uniform") -> keras.Model:
    return fn.recipes.multi_input(
        {"image_input": (size, size, 3), "text_input": ((50,), "int32")},
        encoders={
            "image_input": [layers.Dense(128, activation="relu"), layers.Flatten()],
            "text_input": [layers.Embedding(10000, 64), layers.LSTM(128)],
        },
        trunk=layers.Dense(64, activation="relu", kernel_initializer=init),
        heads={"output": "binary"},
    )


def s1a_keras(size: int = 224, init: str = "glorot_uniform") -> keras.Model:
    image = keras.Input((size, size, 3), name="image_input")
    text = keras.Input((50,), dtype="int32", name="text_input")
    i = layers.Dense(128, activation="relu")(image)
    i = layers.Flatten()(i)
    t = layers.Embedding(10000, 64)(text)
    t = layers.LSTM(128)(t)
    h = layers.Concatenate()([i, t])
    h = layers.Dense(64, activation="relu", kernel_initializer=init)(h)
    out = layers.Dense(1, activation="sigmoid", name="output")(h)
    return keras.Model({"image_input": image, "text_input": text}, out)


# ---- S1b: siamese / shared encoder ------------------------------------------------------
def s1b_funcnet() -> keras.Model:
    return fn.recipes.siamese(
        {"left": (128,), "right": (128,)},
        encoder=layers.Dense(64, activation="relu"),
        heads={"label": ("multiclass", 10)},
    )


def s1b_keras() -> keras.Model:
    left = keras.Input((128,), name="left")
    right = keras.Input((128,), name="right")
    enc = layers.Dense(64, activation="relu")
    h = layers.Concatenate()([enc(left), enc(right)])
    out = layers.Dense(10, activation="softmax", name="label")(h)
    return keras.Model({"left": left, "right": right}, out)


# ---- S2a: multi-input merge -------------------------------------------------------------
def s2a_funcnet() -> keras.Model:
    return fn.recipes.multi_input(
        {"input_a": (10,), "input_b": (20,)},
        encoders=lambda: layers.Dense(32, activation="relu"),
        heads={"output": "binary"},
    )


def s2a_keras() -> keras.Model:
    a = keras.Input((10,), name="input_a")
    b = keras.Input((20,), name="input_b")
    h = layers.Concatenate()(
        [layers.Dense(32, activation="relu")(a), layers.Dense(32, activation="relu")(b)]
    )
    out = layers.Dense(1, activation="sigmoid", name="output")(h)
    return keras.Model({"input_a": a, "input_b": b}, out)


# ---- S2b: shared layer, two heads (fixed: both inputs projected to one width first) -------
def s2b_funcnet() -> keras.Model:
    ins = fn.inputs(input_a=(10,), input_b=(20,))
    block = fn.shared(layers.Dense(16, activation="relu", name="shared_layer"))
    a = block(fn.stack(ins["input_a"], layers.Dense(16)))
    b = block(fn.stack(ins["input_b"], layers.Dense(16)))
    return fn.model(ins, [fn.head(a, "output_a", "binary"), fn.head(b, "output_b", "binary")])


def s2b_keras() -> keras.Model:
    a = keras.Input((10,), name="input_a")
    b = keras.Input((20,), name="input_b")
    block = layers.Dense(16, activation="relu", name="shared_layer")
    ha = block(layers.Dense(16)(a))
    hb = block(layers.Dense(16)(b))
    out_a = layers.Dense(1, activation="sigmoid", name="output_a")(ha)
    out_b = layers.Dense(1, activation="sigmoid", name="output_b")(hb)
    return keras.Model({"input_a": a, "input_b": b}, {"output_a": out_a, "output_b": out_b})


# ---- S2c: residual CNN (fixed: padding "same" in the residual branch) --------------------
def s2c_funcnet() -> keras.Model:
    image = fn.inputs(image=(28, 28, 1))
    r = fn.stack(
        image["image"],
        [layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(32, 3, activation="relu")],
    )
    x = fn.residual(r, layers.Conv2D(32, 3, padding="same", activation="relu"))
    return fn.model(image, fn.head(fn.stack(x, layers.Flatten()), "digit", "multiclass", 10))


def s2c_keras() -> keras.Model:
    image = keras.Input((28, 28, 1), name="image")
    r = layers.Conv2D(32, 3, activation="relu")(image)
    r = layers.Conv2D(32, 3, activation="relu")(r)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(r)
    x = layers.Add()([r, x])
    out = layers.Dense(10, activation="softmax", name="digit")(layers.Flatten()(x))
    return keras.Model({"image": image}, out)


# ---- S3a: two models sharing layers -----------------------------------------------------
def s3a_funcnet() -> tuple[keras.Model, keras.Model]:
    ins = fn.inputs(features=(W,))
    h1 = fn.stack(ins["features"], layers.Dense(32, activation="relu", name="h1"))
    out = fn.head(fn.stack(h1, layers.Dense(16, name="h2")), "out", "regression")
    out22 = fn.head(fn.stack(h1, layers.Dense(16, name="h22")), "out22", "regression")
    return fn.model(ins, out), fn.model(ins, out22)


def s3a_keras() -> tuple[keras.Model, keras.Model]:
    features = keras.Input((W,), name="features")
    h1 = layers.Dense(32, activation="relu")(features)
    out = layers.Dense(1, name="out")(layers.Dense(16)(h1))
    out22 = layers.Dense(1, name="out22")(layers.Dense(16)(h1))
    return keras.Model(features, out), keras.Model(features, out22)


# ---- S3b: three inputs, three named outputs ---------------------------------------------
def s3b_funcnet(pixels: int = 784) -> keras.Model:
    return fn.recipes.multi_output(
        {"table_a": (5,), "table_b": (7,), "pixels": (pixels,)},
        trunk=layers.Dense(10, activation="relu"),
        heads={"o1": "binary", "o2": "binary", "o3": ("multiclass", 10)},
    )


def s3b_keras() -> keras.Model:
    table_a = keras.Input((5,), name="table_a")
    table_b = keras.Input((7,), name="table_b")
    pixels = keras.Input((784,), name="pixels")
    h = layers.Concatenate()([table_a, table_b, pixels])
    h = layers.Dense(10, activation="relu")(h)
    o1 = layers.Dense(1, activation="sigmoid", name="o1")(h)
    o2 = layers.Dense(1, activation="sigmoid", name="o2")(h)
    o3 = layers.Dense(10, activation="softmax", name="o3")(h)
    return keras.Model(
        {"table_a": table_a, "table_b": table_b, "pixels": pixels},
        {"o1": o1, "o2": o2, "o3": o3},
    )


@dataclass(frozen=True)
class Case:
    funcnet: Callable[[], keras.Model]
    keras: Callable[[], keras.Model]
    heads: tuple[str, ...]


CASES = {
    "S0a-recipe": Case(s0a_funcnet, s0a_keras, ("fake",)),
    "S0a-builder": Case(s0a_builder, s0a_keras, ("fake",)),
    "S0b": Case(s0b_funcnet, s0b_keras, ("mesh", "texture")),
    # S1a trains on 32x32 images: at 224x224 the Flatten feeds a 411M-parameter Dense
    # (13 s to build, 24 s a step); the full size is counted in test_s1a_full_size.
    "S1a-32px": Case(lambda: s1a_funcnet(32), lambda: s1a_keras(32), ("output",)),
    "S1b": Case(s1b_funcnet, s1b_keras, ("label",)),
    "S2a": Case(s2a_funcnet, s2a_keras, ("output",)),
    "S2b-fixed": Case(s2b_funcnet, s2b_keras, ("output_a", "output_b")),
    "S2c-fixed": Case(s2c_funcnet, s2c_keras, ("digit",)),
    "S3a-model1": Case(lambda: s3a_funcnet()[0], lambda: s3a_keras()[0], ("out",)),
    "S3a-model2": Case(lambda: s3a_funcnet()[1], lambda: s3a_keras()[1], ("out22",)),
    "S3b": Case(s3b_funcnet, s3b_keras, ("o1", "o2", "o3")),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_same_parameters_and_names_as_raw_keras(case: Case) -> None:
    ours, theirs = case.funcnet(), case.keras()
    assert trainable(ours) == trainable(theirs) > 0
    assert sorted(ours.output_names) == sorted(case.heads)
    assert list(ours.output_names) == list(theirs.output_names)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_trains_one_epoch_on_named_data(case: Case) -> None:
    model = case.funcnet()
    x, y = synthetic(model)
    fn.compile(model)
    history = model.fit(x, y if len(y) > 1 else y[case.heads[0]], epochs=1, batch_size=8, verbose=0)
    assert math.isfinite(history.history["loss"][-1])
    if len(case.heads) > 1:  # one loss per head, keyed by the head's name
        assert {f"{h}_loss" for h in case.heads} <= set(history.history)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_s0c_every_case_renders_to_a_png_of_its_graph(case: Case, tmp_path) -> None:
    model = case.funcnet()
    picture = fn.plot(model, tmp_path / "arch.png")
    assert (tmp_path / "arch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for layer in model.layers:
        assert layer.name in picture.source


def test_s1a_full_size() -> None:
    # Zero-initialised trunk: same parameter count, without 411M random draws per model.
    ours, theirs = s1a_funcnet(224, "zeros"), s1a_keras(224, "zeros")
    assert trainable(ours) == trainable(theirs) == 411_789_441


def test_s1b_one_shared_encoder_trained_by_both_branches() -> None:
    model = s1b_funcnet()
    shared_layers = [layer for layer in model.layers if len(layer._inbound_nodes) == 2]
    assert len(shared_layers) == 1
    kernel = shared_layers[0].kernel
    x, y = synthetic(model)
    fn.compile(model, loss={"label": "categorical_crossentropy"})
    onehot = np.eye(10)[y["label"]]
    for zeroed in ("left", "right"):  # each branch alone moves the one shared kernel
        before = kernel.numpy()
        model.fit({**x, zeroed: np.zeros_like(x[zeroed])}, onehot, epochs=1, verbose=0)
        assert not np.allclose(before, kernel.numpy())


def test_s2b_as_written_fails_naming_block_inputs_shapes_and_fix() -> None:
    ins = fn.inputs(input_a=(10,), input_b=(20,))
    block = fn.shared(layers.Dense(16, activation="relu", name="shared_layer"))
    block(ins["input_a"])
    with pytest.raises(fn.FuncnetError) as err:
        block(ins["input_b"])
    message = str(err.value)
    for part in (
        '"shared_layer"',
        '"input_a"',
        '"input_b"',
        "(None, 10)",
        "(None, 20)",
        "Project both inputs to one width",
    ):
        assert part in message


def test_s2c_as_written_fails_naming_shapes_and_fix() -> None:
    image = fn.inputs(image=(28, 28, 1))["image"]
    r = fn.stack(
        image, [layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(32, 3, activation="relu")]
    )
    with pytest.raises(fn.FuncnetError) as err:
        fn.residual(r, layers.Conv2D(32, 3, activation="relu", name="branch_conv"))
    message = str(err.value)
    for part in ("(None, 24, 24, 32)", "(None, 22, 22, 32)", '"branch_conv"', 'padding="same"'):
        assert part in message


def test_s3a_models_share_in_and_h1() -> None:
    model1, model2 = s3a_funcnet()
    assert model1.get_layer("h1") is model2.get_layer("h1")
    assert model1.inputs[0] is model2.inputs[0]
    x, y = synthetic(model1)
    fn.compile(model1)
    before = model2.get_layer("h1").kernel.numpy()
    model1.fit(x, y["out"], epochs=1, verbose=0)
    assert not np.allclose(before, model2.get_layer("h1").kernel.numpy())


def test_s3b_trains_few_epochs_batch_10_with_losses_by_name() -> None:
    model = s3b_funcnet()
    x, y = synthetic(model, n=50)
    fn.compile(model)
    history = model.fit(x, y, epochs=3, batch_size=10, verbose=0)
    for head in ("o1", "o2", "o3"):
        assert math.isfinite(history.history[f"{head}_loss"][-1])
    assert {"o1_accuracy", "o2_accuracy", "o3_accuracy"} <= set(history.history)

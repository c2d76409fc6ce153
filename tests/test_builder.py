"""The builder pieces and the recipes: what they build, and how they refuse bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

import funcnet as fn

# ---- what the pieces build ---------------------------------------------------------------


@pytest.mark.parametrize(
    "how, expected",
    [
        ("concat", (None, 16)),
        ("add", (None, 8)),
        ("subtract", (None, 8)),
        ("multiply", (None, 8)),
        ("average", (None, 8)),
        ("maximum", (None, 8)),
        ("minimum", (None, 8)),
        ("dot", (None, 1)),
    ],
)
def test_merge_kinds(how: str, expected: tuple) -> None:
    ins = fn.inputs(a=(8,), b=(8,))
    assert tuple(fn.merge([ins["a"], ins["b"]], how).shape) == expected


def test_inputs_shapes_and_dtypes() -> None:
    ins = fn.inputs(width=7, image=(8, 8, 1), tokens=((50,), "int32"), seq=(None, 3))
    assert list(ins) == ["width", "image", "tokens", "seq"]
    assert [tuple(t.shape) for t in ins.values()] == [
        (None, 7),
        (None, 8, 8, 1),
        (None, 50),
        (None, None, 3),
    ]
    assert ins["tokens"].dtype == "int32" and ins["width"].dtype == "float32"
    assert [t.name for t in ins.values()] == list(ins)


def test_stack_accepts_layer_list_and_callable() -> None:
    x = fn.inputs(x=(4,))["x"]
    assert fn.stack(x, layers.Dense(3)).shape == (None, 3)
    assert fn.stack(x, [layers.Dense(3), layers.Dense(2)]).shape == (None, 2)
    assert fn.stack(x, lambda t: layers.Dense(5)(t)).shape == (None, 5)


@pytest.mark.parametrize(
    "branch, projected, shape",
    [
        (lambda: layers.Conv2D(8, 3, padding="same"), False, (None, 12, 12, 8)),
        (lambda: layers.Conv2D(16, 3, padding="same"), True, (None, 12, 12, 16)),
        (lambda: layers.Conv2D(8, 3, strides=2, padding="same"), True, (None, 6, 6, 8)),
        (
            lambda: [
                layers.Conv2D(16, 3, strides=2, padding="same"),
                layers.Conv2D(16, 3, padding="same"),
            ],
            True,
            (None, 6, 6, 16),
        ),
        (lambda: layers.Conv1D(8, 3, padding="same"), False, None),
    ],
    ids=["identity", "channels", "stride", "stride+channels", "conv1d-identity"],
)
def test_residual_projects_only_when_needed(
    branch: Callable[[], Any], projected: bool, shape: tuple | None
) -> None:
    if shape is None:
        x = fn.inputs(x=(20, 8))["x"]
        shape = (None, 20, 8)
    else:
        x = fn.inputs(x=(12, 12, 8))["x"]
    y = fn.residual(x, branch(), name="block")
    m = fn.model({"x": x}, fn.head(fn.stack(y, layers.Flatten()), "out", "regression"))
    assert tuple(y.shape) == shape
    assert ("block_projection" in [layer.name for layer in m.layers]) is projected
    assert "block_add" in [layer.name for layer in m.layers]


def test_residual_dense_projection_for_vectors() -> None:
    x = fn.inputs(v=(10,))["v"]
    # On vectors the projection is asked for (issue 11); "auto" refuses a width change.
    y = fn.residual(
        x, layers.Dense(6), projection=layers.Dense(6, name="mlp_projection"), name="mlp"
    )
    m = fn.model({"v": x}, fn.head(y, "out", "regression"))
    assert isinstance(m.get_layer("mlp_projection"), layers.Dense)


def test_head_tasks_set_activation_and_units() -> None:
    x = fn.inputs(x=(4,))["x"]
    outs = {
        "b": fn.head(x, "b", "binary"),
        "m": fn.head(x, "m", "multiclass", units=5),
        "l": fn.head(x, "l", "multilabel", 3),
        "r": fn.head(x, "r", "regression"),
    }
    m = fn.model({"x": x}, outs)
    got = {
        k: (m.get_layer(k).activation.__name__, m.get_layer(k).units, m.get_layer(k).task)
        for k in outs
    }
    assert got == {
        "b": ("sigmoid", 1, "binary"),
        "m": ("softmax", 5, "multiclass"),
        "l": ("sigmoid", 3, "multilabel"),
        "r": ("linear", 1, "regression"),
    }


def test_user_registered_task() -> None:
    fn.tasks.register("count", fn.Task("softplus", 1, "poisson", ("mae",)))
    try:
        x = fn.inputs(x=(4,))["x"]
        layer = fn.model({"x": x}, fn.head(x, "visits", "count")).get_layer("visits")
        assert (layer.task, layer.activation.__name__) == ("count", "softplus")
    finally:
        fn.tasks.unregister("count")
    assert "count" not in fn.tasks


def test_model_keeps_declared_output_order_and_dict_inputs() -> None:
    ins = fn.inputs(a=(3,), b=(3,))
    h = fn.merge(ins, "add")
    m = fn.model(ins, [fn.head(h, "zeta", "regression"), fn.head(h, "alpha", "binary")])
    assert list(m.output) == ["zeta", "alpha"]
    pred = m.predict({"a": np.ones((2, 3)), "b": np.ones((2, 3))}, verbose=0)
    assert set(pred) == {"zeta", "alpha"}


# ---- recipes, at least two configurations each -------------------------------------------

RECIPES: dict[str, Callable[[], keras.Model]] = {
    "multi_input-concat-trunk": lambda: fn.recipes.multi_input(
        {"a": (8,), "b": (12,)},
        encoders=lambda: [layers.Dense(6, activation="relu")],
        trunk=[layers.Dense(4)],
        heads={"y": "binary"},
    ),
    "multi_input-add-per-input-encoders-tokens": lambda: fn.recipes.multi_input(
        {"words": ((20,), "int32"), "meta": (5,)},
        encoders={
            "words": [layers.Embedding(100, 8), layers.GlobalAveragePooling1D()],
            "meta": layers.Dense(8),
        },
        merge="add",
        heads={"topic": ("multiclass", 4), "score": "regression"},
    ),
    "siamese-concat": lambda: fn.recipes.siamese(
        {"left": (16,), "right": (16,)}, encoder=layers.Dense(8), heads={"same": "binary"}
    ),
    "siamese-subtract-deep-encoder": lambda: fn.recipes.siamese(
        {"q": (10,), "d": (10,)},
        encoder=[layers.Dense(12, activation="relu"), layers.Dense(6)],
        merge="subtract",
        trunk=layers.Dense(4, activation="relu"),
        heads={"relevant": "binary"},
    ),
    "resnet-images": lambda: fn.recipes.resnet(
        {"image": (8, 8, 1)}, filters=(4, 8), blocks=1, heads={"digit": ("multiclass", 10)}
    ),
    "resnet-vectors-two-heads": lambda: fn.recipes.resnet(
        {"features": (12,)}, filters=(16, 16), blocks=2, heads={"y": "regression", "flag": "binary"}
    ),
    "multi_output-fork": lambda: fn.recipes.multi_output(
        {"audio": (16,)},
        trunk=layers.Dense(8, activation="relu"),
        heads={"mesh": ("regression", 5), "texture": ("regression", 3)},
    ),
    "multi_output-branches-three-inputs": lambda: fn.recipes.multi_output(
        {"a": (3,), "b": (4,), "c": (5,)},
        trunk=layers.Dense(8),
        branches={"tags": layers.Dense(6, activation="relu")},
        heads={"tags": ("multilabel", 3), "kind": ("multiclass", 4)},
    ),
}


@pytest.mark.parametrize("build", RECIPES.values(), ids=RECIPES.keys())
def test_recipe_builds_trains_and_names_outputs(build: Callable[[], keras.Model]) -> None:
    from tests.conftest import synthetic

    model = build()
    x, y = synthetic(model)
    fn.compile(model)
    history = model.fit(x, y if len(y) > 1 else next(iter(y.values())), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    heads = [layer.name for layer in model.layers if isinstance(layer, fn.Head)]
    assert sorted(model.output_names) == sorted(heads)


def test_siamese_encoder_weights_exist_once() -> None:
    m = RECIPES["siamese-subtract-deep-encoder"]()
    dense = [
        layer
        for layer in m.layers
        if isinstance(layer, layers.Dense) and not isinstance(layer, fn.Head)
    ]
    called_twice = [layer for layer in dense if len(layer._inbound_nodes) == 2]
    assert len(called_twice) == 2  # both encoder layers, each called once per input


def test_resnet_projects_at_stage_changes() -> None:
    m = RECIPES["resnet-images"]()
    names = [layer.name for layer in m.layers]
    assert "resnet_s2b1_projection" in names and "resnet_s1b1_projection" not in names


# ---- bad input: each names the culprit ------------------------------------------------------


def _ins() -> dict:
    return fn.inputs(a=(10,), b=(20,))


BAD: dict[str, tuple[Callable[[], Any], str]] = {
    "inputs-none": (lambda: fn.inputs(), "at least one named input"),
    "inputs-bad-shape": (lambda: fn.inputs(image=(28, -1)), 'Input "image" needs a shape'),
    "inputs-string-shape": (lambda: fn.inputs(age="10"), 'Input "age"'),
    "inputs-bad-dtype": (lambda: fn.inputs(tokens=((5,), "int77")), 'Input "tokens" has a dtype'),
    "stack-not-tensor": (
        lambda: fn.stack(np.ones((3, 16)), layers.Dense(2)),
        r"needs a Keras tensor.*Received: x=ndarray of shape \(3, 16\), dtype float64\.$",
    ),
    "stack-empty": (lambda: fn.stack(_ins()["a"], []), "at least one layer"),
    "stack-not-callable": (lambda: fn.stack(_ins()["a"], [layers.Dense(2), 5]), "item 1"),
    "stack-layer-rejects": (
        lambda: fn.stack(_ins()["a"], layers.Conv2D(3, 3, name="conv")),
        r'Layer "conv" .*input "a"',
    ),
    "merge-unknown-kind": (
        lambda: fn.merge(list(_ins().values()), "concatenate"),
        'Did you mean "concat"',
    ),
    "merge-one-tensor": (lambda: fn.merge([_ins()["a"]], "add"), "at least two tensors"),
    "merge-add-widths": (
        lambda: fn.merge(_ins(), "add"),
        r'input "a" \(shape \(None, 10\)\).*input "b"',
    ),
    "merge-subtract-three": (
        lambda: fn.merge([*_ins().values(), _ins()["a"]], "subtract"),
        "exactly two",
    ),
    "merge-concat-ranks": (
        lambda: fn.merge([fn.inputs(v=(4,))["v"], fn.inputs(img=(2, 2))["img"]], "concat"),
        r'input "v".*input "img"',
    ),
    "shared-empty": (lambda: fn.shared([]), "non-empty list"),
    "residual-valid-padding": (
        lambda: fn.residual(fn.inputs(i=(9, 9, 4))["i"], layers.Conv2D(4, 3, name="crop")),
        r'"crop" uses padding="valid"',
    ),
    "residual-projection-none": (
        lambda: fn.residual(fn.inputs(i=(9, 9, 4))["i"], layers.Conv2D(8, 1), projection=None),
        "projection=None",
    ),
    "residual-rank-change": (
        lambda: fn.residual(fn.inputs(i=(9, 9, 4))["i"], layers.Flatten()),
        "changes the rank",
    ),
    "head-unknown-task": (lambda: fn.head(_ins()["a"], "y", "binray"), 'Did you mean "binary"'),
    "head-missing-units": (
        lambda: fn.head(_ins()["a"], "digit", "multiclass"),
        'Head "digit".*units=',
    ),
    "head-bad-units": (
        lambda: fn.head(_ins()["a"], "digit", "multiclass", units=0),
        'Head "digit"',
    ),
    "head-no-name": (lambda: fn.head(_ins()["a"], "", "binary"), "non-empty string name"),
    "model-unused-input": (
        lambda: (lambda i: fn.model(i, fn.head(i["a"], "y", "binary")))(_ins()),
        r'input "b" .*not used by any output',
    ),
    "model-foreign-input": (
        lambda: fn.model({"a": _ins()["a"]}, fn.head(fn.inputs(c=(3,))["c"], "y", "binary")),
        r'output "y" .*input "c"',
    ),
    "model-duplicate-output-names": (
        lambda: (lambda i, d: fn.model(i, [d(i["a"]), d(fn.stack(i["b"], layers.Dense(10)))]))(
            _ins(), layers.Dense(1, name="twin")
        ),
        r'both named "twin"',
    ),
    "model-dict-key-mismatch": (
        lambda: (
            lambda i: fn.model(i, {"score": fn.head(fn.merge(i, "concat"), "y", "regression")})
        )(_ins()),
        r'output key "score" .*layer "y"',
    ),
    "model-input-key-mismatch": (
        lambda: (lambda i: fn.model({"audio": i["a"]}, fn.head(i["a"], "y", "binary")))(_ins()),
        r'input key "audio" holds input "a"',
    ),
    "model-not-tensor": (lambda: fn.model(_ins(), [np.zeros(2)]), "output 0 is not a Keras tensor"),
    "registry-duplicate": (
        lambda: fn.tasks.register("binary", fn.tasks["binary"]),
        'task named "binary"',
    ),
    "recipe-encoders-layer-objects": (
        lambda: fn.recipes.multi_input(
            {"a": (3,), "b": (3,)}, encoders=[layers.Dense(2)], heads={"y": "binary"}
        ),
        "would be shared",
    ),
    "recipe-encoder-unknown-input": (
        lambda: fn.recipes.multi_input(
            {"audio": (3,)}, encoders={"adio": layers.Dense(2)}, heads={"y": "binary"}
        ),
        'Did you mean "audio"',
    ),
    "recipe-branch-unknown-head": (
        lambda: fn.recipes.multi_output(
            {"a": (3,)}, branches={"maesh": layers.Dense(2)}, heads={"mesh": "regression"}
        ),
        'Did you mean "mesh"',
    ),
    "recipe-head-spec": (
        lambda: fn.recipes.multi_output({"a": (3,)}, heads={"mesh": 3}),
        'Head "mesh" needs a task',
    ),
    "recipe-resnet-two-inputs": (
        lambda: fn.recipes.resnet({"a": (3,), "b": (3,)}, heads={"y": "binary"}),
        "takes one input",
    ),
    "recipe-siamese-shapes": (
        lambda: fn.recipes.siamese(
            {"left": (8,), "right": (9,)}, encoder=layers.Dense(4), heads={"y": "binary"}
        ),
        r'input "left".*input "right"',
    ),
}


@pytest.mark.parametrize("call, message", BAD.values(), ids=BAD.keys())
def test_bad_input_names_the_culprit(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(fn.FuncnetError, match=message):
        call()


def test_registry_membership_and_get_do_not_raise() -> None:
    assert "binary" in fn.tasks and "binray" not in fn.tasks
    assert fn.tasks.get("binray") is None and fn.tasks.get("binary") is fn.tasks["binary"]

"""The gallery: every SEED_CASES.md architecture and every recipe example, ready to draw.

Each factory builds one small model with funcnet and returns it, so that
`funcnet plot funcnet.gallery:s1b -o s1b.png` and `funcnet gallery --out DIR` can draw
it. Layers are named explicitly so that the pictures read well and stay the same from
one run to the next (Keras's automatic names depend on what was built before).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
from keras import layers

from funcnet._heads import head
from funcnet._inputs import inputs
from funcnet._merge import merge
from funcnet._model import model
from funcnet._residual import residual
from funcnet._shared import shared
from funcnet._stack import stack

__all__ = ["SEED_CASES", "factories", "recipe_examples", "write_gallery"]

W = 16  # S0a/S0b's audio and video window width


def s0a() -> keras.Model:
    """S0a fake-video detector: two stacks, one common output stack."""
    ins = inputs(audio=(W,), video=(W,))
    a = stack(ins["audio"], [layers.Dense(20, name="audio_1"), layers.Dense(10, name="audio_2")])
    v = stack(ins["video"], [layers.Dense(20, name="video_1"), layers.Dense(10, name="video_2")])
    h = stack(merge([a, v], "concat", name="audio_video"), layers.Dense(10, name="common"))
    return model(ins, head(h, "fake", "binary"), name="s0a_fake_video")


def s0b() -> keras.Model:
    """S0b fork: one input, a common trunk, two regression outputs."""
    ins = inputs(audio=(W,))
    trunk = [layers.Dense(64, activation="relu", name=f"trunk_{i}") for i in (1, 2)]
    h = stack(ins["audio"], trunk)
    outs = [head(h, "mesh", "regression", units=300), head(h, "texture", "regression", units=200)]
    return model(ins, outs, name="s0b_fork")


def s1a(size: int = 224) -> keras.Model:
    """S1a image + text classifier.

    The image size is the seed case's; the big Dense layers start at zero.
    """
    ins = inputs(image_input=(size, size, 3), text_input=((50,), "int32"))
    dense = layers.Dense(128, activation="relu", kernel_initializer="zeros", name="image_dense")
    image = stack(ins["image_input"], [dense, layers.Flatten(name="image_flat")])
    text = stack(
        ins["text_input"],
        [layers.Embedding(10000, 64, name="embedding"), layers.LSTM(128, name="lstm")],
    )
    h = merge([image, text], "concat", name="image_text")
    # Zeros: the picture needs shapes, not 400M random numbers (224*224*128 features in).
    h = stack(h, layers.Dense(64, activation="relu", kernel_initializer="zeros", name="joint"))
    return model(ins, head(h, "label", "binary"), name="s1a_image_text")


def s1b() -> keras.Model:
    """S1b siamese: two inputs through ONE shared encoder."""
    ins = inputs(left=(128,), right=(128,))
    encoder = shared(layers.Dense(64, activation="relu", name="encoder"))
    h = merge([encoder(ins["left"]), encoder(ins["right"])], "concat", name="pair")
    return model(ins, head(h, "label", "multiclass", units=10), name="s1b_siamese")


def s2a() -> keras.Model:
    """S2a multi-input merge: two encoders, one sigmoid output."""
    ins = inputs(input_a=(10,), input_b=(20,))
    a = stack(ins["input_a"], layers.Dense(32, activation="relu", name="dense_a"))
    b = stack(ins["input_b"], layers.Dense(32, activation="relu", name="dense_b"))
    return model(ins, head(merge([a, b], "concat", name="ab"), "output", "binary"), name="s2a")


def s2b_fixed() -> keras.Model:
    """S2b fixed: inputs projected to one width, then the shared layer."""
    ins = inputs(input_a=(10,), input_b=(20,))
    a = stack(ins["input_a"], layers.Dense(16, name="project_a"))
    b = stack(ins["input_b"], layers.Dense(16, name="project_b"))
    shared_layer = shared(layers.Dense(16, activation="relu", name="shared_layer"))
    outs = [head(shared_layer(x), f"output_{k}", "binary") for k, x in (("a", a), ("b", b))]
    return model(ins, outs, name="s2b_fixed")


def s2c_fixed() -> keras.Model:
    """S2c fixed: fn.residual with padding="same" in the branch."""
    ins = inputs(image=(28, 28, 1))
    r = stack(
        ins["image"],
        [
            layers.Conv2D(32, 3, activation="relu", name="conv_1"),
            layers.Conv2D(32, 3, activation="relu", name="conv_2"),
        ],
    )
    branch = layers.Conv2D(32, 3, activation="relu", padding="same", name="conv_3")
    x = stack(residual(r, branch, name="res"), layers.Flatten(name="flatten"))
    return model(ins, head(x, "digit", "multiclass", units=10), name="s2c_residual")


def _s3a_models() -> tuple[keras.Model, keras.Model]:
    ins = inputs(features=(32,))
    h1 = stack(ins["features"], layers.Dense(64, activation="relu", name="h1"))
    h2 = stack(h1, layers.Dense(32, activation="relu", name="h2"))
    h22 = stack(h1, layers.Dense(16, activation="relu", name="h22"))
    model1 = model(ins, head(h2, "out", "binary"), name="s3a_model1")
    model2 = model(ins, head(h22, "out22", "regression"), name="s3a_model2")
    return model1, model2


def s3a_model1() -> keras.Model:
    """S3a model 1: in -> h1 -> h2 -> out (shares in and h1 with model 2)."""
    return _s3a_models()[0]


def s3a_model2() -> keras.Model:
    """S3a model 2: in -> h1 -> h22 -> out22 (shares in and h1 with model 1)."""
    return _s3a_models()[1]


def s3a() -> keras.Model:
    """S3a: two models sharing features and h1, drawn together.

    Model 1 is features -> h1 -> h2 -> out, model 2 is features -> h1 -> h22 -> out22.
    """
    model1, model2 = _s3a_models()
    return model(
        {"features": model1.inputs[0]},
        [model1.outputs[0], model2.outputs[0]],
        name="s3a_both_models",
    )


def s3b() -> keras.Model:
    """S3b: three inputs, three named outputs."""
    ins = inputs(table_a=(8,), table_b=(5,), pixels=(784,))
    h = merge(ins, "concat", name="all_inputs")
    h = stack(h, layers.Dense(10, activation="relu", name="hidden"))
    outs = [head(h, "o1", "binary"), head(h, "o2", "binary"), head(h, "o3", "multiclass", units=10)]
    return model(ins, outs, name="s3b_three_heads")


SEED_CASES: dict[str, Callable[[], keras.Model]] = {
    "s0a": s0a,
    "s0b": s0b,
    "s1a": s1a,
    "s1b": s1b,
    "s2a": s2a,
    "s2b_fixed": s2b_fixed,
    "s2c_fixed": s2c_fixed,
    "s3a": s3a,
    "s3b": s3b,
}


def recipe_multi_input() -> keras.Model:
    """fn.recipes.multi_input: an encoder per input, merged, a head."""
    from funcnet import recipes  # imported late: the gallery must not fail with recipes

    return recipes.multi_input(
        {"audio": (W,), "video": (W,)},
        encoders={
            k: [layers.Dense(20, name=f"{k}_1"), layers.Dense(10, name=f"{k}_2")]
            for k in ("audio", "video")
        },
        trunk=layers.Dense(10, name="common"),
        heads={"fake": "binary"},
        name="recipe_multi_input",
    )


def recipe_siamese() -> keras.Model:
    """fn.recipes.siamese: one shared encoder for every input."""
    from funcnet import recipes

    return recipes.siamese(
        {"left": (128,), "right": (128,)},
        encoder=layers.Dense(64, activation="relu", name="encoder"),
        merge="subtract",
        heads={"same": "binary"},
        name="recipe_siamese",
    )


def recipe_resnet() -> keras.Model:
    """fn.recipes.resnet: two stages of residual blocks."""
    from funcnet import recipes

    return recipes.resnet(
        {"image": (28, 28, 1)},
        filters=(16, 32),
        blocks=2,
        heads={"digit": ("multiclass", 10)},
        name="recipe_resnet",
    )


def recipe_multi_output() -> keras.Model:
    """fn.recipes.multi_output: a trunk forked into two heads."""
    from funcnet import recipes

    return recipes.multi_output(
        {"audio": (32,)},
        trunk=[layers.Dense(64, activation="relu", name="trunk")],
        branches={"texture": layers.Dense(32, activation="relu", name="texture_branch")},
        heads={"mesh": ("regression", 30), "texture": ("regression", 20)},
        name="recipe_multi_output",
    )


def recipe_examples() -> dict[str, Callable[[], keras.Model]]:
    """The recipe examples, or none when `funcnet.recipes` cannot be imported."""
    try:
        import funcnet.recipes  # noqa: F401
    except ImportError:
        return {}
    return {
        "recipe_multi_input": recipe_multi_input,
        "recipe_siamese": recipe_siamese,
        "recipe_resnet": recipe_resnet,
        "recipe_multi_output": recipe_multi_output,
    }


def factories() -> dict[str, Callable[[], keras.Model]]:
    """Every gallery model by name: the seed cases, then the recipe examples."""
    return {**SEED_CASES, **recipe_examples()}


def write_gallery(
    out_dir: str | Path, *, fmt: str = "png", names: list[str] | None = None
) -> list[Path]:
    """Draws every gallery model (or those in `names`) into `out_dir`, one file each.

    Args:
        out_dir: The folder to write into; created if missing.
        fmt: "png", "svg", "pdf" or "dot".
        names: Only these gallery models; default all of `factories()`.

    Returns:
        The paths written, in gallery order.

    Raises:
        FuncnetError: an unknown name or format, an unwritable folder, or no `dot`.

    Example:
        >>> import tempfile
        >>> from funcnet.gallery import write_gallery
        >>> [p.name for p in write_gallery(tempfile.mkdtemp(), fmt="dot", names=["s1b"])]
        ['s1b.dot']
    """
    from funcnet._errors import FuncnetError, unknown_name
    from funcnet._plot import plot

    found = factories()
    chosen = list(found) if names is None else list(names)
    for name in chosen:
        if name not in found:
            raise unknown_name("gallery model", name, found)
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FuncnetError(
            f'Cannot create the gallery folder "{folder}": {err.strerror}.'
        ) from None
    written = []
    for name in chosen:
        factory = found[name]
        title = (factory.__doc__ or name).strip().splitlines()[0]
        target = folder / f"{name}.{fmt}"
        plot(factory(), target, title=title)
        written.append(target)
    return written

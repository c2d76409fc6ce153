"""Published architectures the seed cases do not cover, each written twice, small.

`<name>_funcnet()` builds the model with funcnet only (no `layer(x)` calls, no
`keras.Input`, no `keras.Model`); `<name>_keras()` builds the same graph as keras-io
writes it. The functions hold nothing else: the lead counts their tokens for the
README's code-size table. tests/test_real_models.py checks that each pair has equal
trainable parameters, trains on data keyed by name and round-trips through `.keras`.

Sources (keras-io, keras-team/keras-io):
- unet: examples/vision/oxford_pets_image_segmentation.py (the U-Net-like Xception
  model: residual down blocks, upsampling residual up blocks, per-pixel softmax).
- transformer: examples/nlp/text_classification_with_transformer.py (keras-io computes
  positions inside a custom layer; both versions here take position ids as an input).
- siamese: examples/vision/siamese_contrastive.py (a shared tower, a euclidean distance,
  which keras-io writes as a Lambda).
- qa: examples/nlp/text_extraction_with_bert.py (start/end span heads over token
  positions; a small encoder instead of the pretrained BERT, logits as outputs).
- wide_deep: examples/structured_data/wide_deep_cross_networks.py (many named inputs,
  a linear wide part beside a deep part).
- deeplab: examples/vision/deeplabv3_plus.py (DeepLabV3+, lite: a small backbone instead
  of ResNet50; dilated spatial pyramid pooling, a low-level skip, raw per-pixel scores
  trained from logits).
"""

from __future__ import annotations

import keras
from keras import layers

import funcnet as fn

# Small sizes: the tests train each model for one epoch on a few samples.
IMAGE, CLASSES = 32, 3
MAXLEN, VOCAB, EMBED, HEADS, FF = 16, 50, 16, 2, 32
DIGIT = (8, 8, 1)
WIDE = {"age": 1, "hours": 1, "education": 16, "occupation": 14, "relationship": 6}


def unet_funcnet() -> keras.Model:
    image = fn.inputs(image=(IMAGE, IMAGE, 3))["image"]
    x = fn.stack(
        image,
        [
            layers.Conv2D(16, 3, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ],
    )
    for filters in [32, 64]:
        x = fn.residual(
            x,
            [
                layers.Activation("relu"),
                layers.SeparableConv2D(filters, 3, padding="same"),
                layers.BatchNormalization(),
                layers.Activation("relu"),
                layers.SeparableConv2D(filters, 3, padding="same"),
                layers.BatchNormalization(),
                layers.MaxPooling2D(3, strides=2, padding="same"),
            ],
        )
    for filters in [64, 32, 16]:
        x = fn.residual(
            x,
            [
                layers.Activation("relu"),
                layers.Conv2DTranspose(filters, 3, padding="same"),
                layers.BatchNormalization(),
                layers.Activation("relu"),
                layers.Conv2DTranspose(filters, 3, padding="same"),
                layers.BatchNormalization(),
                layers.UpSampling2D(2),
            ],
            projection=[layers.UpSampling2D(2), layers.Conv2D(filters, 1, padding="same")],
        )
    mask = fn.head(x, "mask", "multiclass", layer=layers.Conv2D(CLASSES, 3, padding="same"))
    return fn.model({"image": image}, mask)


def unet_keras() -> keras.Model:
    inputs = keras.Input(shape=(IMAGE, IMAGE, 3), name="image")
    x = layers.Conv2D(16, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [32, 64]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    for filters in [64, 32, 16]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x
    outputs = layers.Conv2D(CLASSES, 3, activation="softmax", padding="same", name="mask")(x)
    return keras.Model(inputs, outputs)


def transformer_funcnet() -> keras.Model:
    ins = fn.inputs(tokens=((MAXLEN,), "int32"), positions=((MAXLEN,), "int32"))
    x = fn.merge(
        [
            fn.stack(ins["tokens"], layers.Embedding(VOCAB, EMBED)),
            fn.stack(ins["positions"], layers.Embedding(MAXLEN, EMBED)),
        ],
        "add",
    )
    x = fn.residual(
        x,
        [layers.MultiHeadAttention(HEADS, EMBED), layers.Dropout(0.1)],
        post=layers.LayerNormalization(epsilon=1e-6),
    )
    x = fn.residual(
        x,
        [layers.Dense(FF, activation="relu"), layers.Dense(EMBED), layers.Dropout(0.1)],
        post=layers.LayerNormalization(epsilon=1e-6),
    )
    x = fn.stack(
        x,
        [
            layers.GlobalAveragePooling1D(),
            layers.Dropout(0.1),
            layers.Dense(20, activation="relu"),
            layers.Dropout(0.1),
        ],
    )
    return fn.model(ins, fn.head(x, "sentiment", "multiclass", 2))


def transformer_keras() -> keras.Model:
    tokens = keras.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
    positions = keras.Input(shape=(MAXLEN,), dtype="int32", name="positions")
    x = layers.Embedding(VOCAB, EMBED)(tokens) + layers.Embedding(MAXLEN, EMBED)(positions)
    attn_output = layers.MultiHeadAttention(num_heads=HEADS, key_dim=EMBED)(x, x)
    attn_output = layers.Dropout(0.1)(attn_output)
    out1 = layers.LayerNormalization(epsilon=1e-6)(x + attn_output)
    ffn_output = layers.Dense(FF, activation="relu")(out1)
    ffn_output = layers.Dense(EMBED)(ffn_output)
    ffn_output = layers.Dropout(0.1)(ffn_output)
    x = layers.LayerNormalization(epsilon=1e-6)(out1 + ffn_output)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax", name="sentiment")(x)
    return keras.Model(inputs={"tokens": tokens, "positions": positions}, outputs=outputs)


def siamese_funcnet() -> keras.Model:
    ins = fn.inputs(left=DIGIT, right=DIGIT)
    tower = fn.shared(
        [
            layers.BatchNormalization(),
            layers.Conv2D(4, 3, activation="tanh"),
            layers.AveragePooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.BatchNormalization(),
            layers.Dense(10, activation="tanh"),
        ],
        name="tower",
    )
    distance = fn.merge([fn.stack(ins["left"], tower), fn.stack(ins["right"], tower)], "euclidean")
    x = fn.stack(distance, layers.BatchNormalization())
    return fn.model(ins, fn.head(x, "same", "binary"))


def siamese_keras() -> keras.Model:
    def euclidean_distance(vects):
        x, y = vects
        sum_square = keras.ops.sum(keras.ops.square(x - y), axis=1, keepdims=True)
        return keras.ops.sqrt(keras.ops.maximum(sum_square, keras.backend.epsilon()))

    input = keras.layers.Input(DIGIT)
    x = keras.layers.BatchNormalization()(input)
    x = keras.layers.Conv2D(4, (3, 3), activation="tanh")(x)
    x = keras.layers.AveragePooling2D(pool_size=(2, 2))(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dense(10, activation="tanh")(x)
    embedding_network = keras.Model(input, x)
    input_1 = keras.layers.Input(DIGIT, name="left")
    input_2 = keras.layers.Input(DIGIT, name="right")
    tower_1 = embedding_network(input_1)
    tower_2 = embedding_network(input_2)
    merge_layer = keras.layers.Lambda(euclidean_distance, output_shape=(1,))([tower_1, tower_2])
    normal_layer = keras.layers.BatchNormalization()(merge_layer)
    output_layer = keras.layers.Dense(1, activation="sigmoid", name="same")(normal_layer)
    return keras.Model(inputs={"left": input_1, "right": input_2}, outputs=output_layer)


def qa_funcnet() -> keras.Model:
    tokens = fn.inputs(tokens=((MAXLEN,), "int32"))["tokens"]
    x = fn.stack(tokens, layers.Embedding(VOCAB, EMBED))
    x = fn.residual(x, layers.MultiHeadAttention(HEADS, EMBED), post=layers.LayerNormalization())
    spans = [
        fn.head(
            x,
            name,
            "multiclass",
            layer=[layers.Dense(1, use_bias=False), layers.Flatten()],
            logits=True,
        )
        for name in ("start", "end")
    ]
    return fn.model({"tokens": tokens}, spans)


def qa_keras() -> keras.Model:
    input_ids = layers.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
    embedding = layers.Embedding(VOCAB, EMBED)(input_ids)
    attention = layers.MultiHeadAttention(num_heads=HEADS, key_dim=EMBED)(embedding, embedding)
    embedding = layers.LayerNormalization()(embedding + attention)
    start_logits = layers.Dense(1, name="start_logit", use_bias=False)(embedding)
    start_logits = layers.Flatten(name="start")(start_logits)
    end_logits = layers.Dense(1, name="end_logit", use_bias=False)(embedding)
    end_logits = layers.Flatten(name="end")(end_logits)
    return keras.Model(
        inputs={"tokens": input_ids}, outputs={"start": start_logits, "end": end_logits}
    )


def wide_deep_funcnet() -> keras.Model:
    ins = fn.inputs(**{name: (width,) for name, width in WIDE.items()})
    features = fn.merge(ins, "concat")
    wide = fn.stack(features, layers.BatchNormalization())
    deep = features
    for units in [32, 32]:
        deep = fn.stack(
            deep,
            [layers.Dense(units), layers.BatchNormalization(), layers.ReLU(), layers.Dropout(0.1)],
        )
    both = fn.merge([wide, deep], "concat")
    return fn.model(ins, fn.head(both, "income", "binary"))


def wide_deep_keras() -> keras.Model:
    inputs = {name: layers.Input(name=name, shape=(width,)) for name, width in WIDE.items()}
    features = layers.concatenate(list(inputs.values()))
    wide = layers.BatchNormalization()(features)
    deep = features
    for units in [32, 32]:
        deep = layers.Dense(units)(deep)
        deep = layers.BatchNormalization()(deep)
        deep = layers.ReLU()(deep)
        deep = layers.Dropout(0.1)(deep)
    merged = layers.concatenate([wide, deep])
    outputs = layers.Dense(units=1, activation="sigmoid", name="income")(merged)
    return keras.Model(inputs=inputs, outputs=outputs)


def deeplab_funcnet() -> keras.Model:
    def block(filters=32, size=3, rate=1, bias=False):
        conv = layers.Conv2D(
            filters,
            size,
            dilation_rate=rate,
            padding="same",
            use_bias=bias,
            kernel_initializer="he_normal",
        )
        return [conv, layers.BatchNormalization(), layers.ReLU()]

    image = fn.inputs(image=(IMAGE, IMAGE, 3))["image"]
    low = fn.stack(image, [*block(16), layers.MaxPooling2D(2)])
    x = fn.stack(low, [*block(), layers.MaxPooling2D(2), *block(), layers.MaxPooling2D(2)])
    pooled = fn.stack(
        x,
        [
            layers.AveragePooling2D(IMAGE // 8),
            *block(size=1, bias=True),
            layers.UpSampling2D(IMAGE // 8, interpolation="bilinear"),
        ],
    )
    pyramid = [fn.stack(x, block(size=1))] + [fn.stack(x, block(rate=r)) for r in (6, 12, 18)]
    x = fn.stack(
        fn.merge([pooled, *pyramid], "concat"),
        [*block(size=1), layers.UpSampling2D(4, interpolation="bilinear")],
    )
    x = fn.merge([x, fn.stack(low, block(8, 1))], "concat")
    x = fn.stack(x, [*block(), *block(), layers.UpSampling2D(2, interpolation="bilinear")])
    mask = fn.head(
        x, "mask", "multiclass", layer=layers.Conv2D(CLASSES, 1, padding="same"), logits=True
    )
    return fn.model({"image": image}, mask)


def deeplab_keras() -> keras.Model:
    def convolution_block(
        block_input, num_filters=32, kernel_size=3, dilation_rate=1, use_bias=False
    ):
        x = layers.Conv2D(
            num_filters,
            kernel_size=kernel_size,
            dilation_rate=dilation_rate,
            padding="same",
            use_bias=use_bias,
            kernel_initializer=keras.initializers.HeNormal(),
        )(block_input)
        x = layers.BatchNormalization()(x)
        return keras.ops.nn.relu(x)

    def DilatedSpatialPyramidPooling(dspp_input):
        dims = dspp_input.shape
        x = layers.AveragePooling2D(pool_size=(dims[-3], dims[-2]))(dspp_input)
        x = convolution_block(x, kernel_size=1, use_bias=True)
        out_pool = layers.UpSampling2D(
            size=(dims[-3] // x.shape[1], dims[-2] // x.shape[2]), interpolation="bilinear"
        )(x)
        out_1 = convolution_block(dspp_input, kernel_size=1, dilation_rate=1)
        out_6 = convolution_block(dspp_input, kernel_size=3, dilation_rate=6)
        out_12 = convolution_block(dspp_input, kernel_size=3, dilation_rate=12)
        out_18 = convolution_block(dspp_input, kernel_size=3, dilation_rate=18)
        x = layers.Concatenate(axis=-1)([out_pool, out_1, out_6, out_12, out_18])
        return convolution_block(x, kernel_size=1)

    model_input = keras.Input(shape=(IMAGE, IMAGE, 3), name="image")
    x = convolution_block(model_input, num_filters=16)
    input_b = layers.MaxPooling2D(2)(x)
    x = convolution_block(input_b)
    x = layers.MaxPooling2D(2)(x)
    x = convolution_block(x)
    x = layers.MaxPooling2D(2)(x)
    x = DilatedSpatialPyramidPooling(x)
    input_a = layers.UpSampling2D(size=(4, 4), interpolation="bilinear")(x)
    input_b = convolution_block(input_b, num_filters=8, kernel_size=1)
    x = layers.Concatenate(axis=-1)([input_a, input_b])
    x = convolution_block(x)
    x = convolution_block(x)
    x = layers.UpSampling2D(size=(2, 2), interpolation="bilinear")(x)
    model_output = layers.Conv2D(CLASSES, kernel_size=(1, 1), padding="same", name="mask")(x)
    return keras.Model(inputs=model_input, outputs=model_output)


PAIRS = {
    "unet": (unet_funcnet, unet_keras),
    "transformer": (transformer_funcnet, transformer_keras),
    "siamese": (siamese_funcnet, siamese_keras),
    "qa": (qa_funcnet, qa_keras),
    "wide_deep": (wide_deep_funcnet, wide_deep_keras),
    "deeplab": (deeplab_funcnet, deeplab_keras),
}

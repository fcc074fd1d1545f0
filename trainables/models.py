"""The five forecaster families as small Keras builders, one per family name, and the inputs
every family shares: the calendar over the forecast window and the baseline it corrects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import layers, regularizers

Builder = Callable[[dict[str, Any], int], keras.Model]


def _l2(params: dict[str, Any]) -> regularizers.Regularizer | None:
    alpha = float(params["alpha"])
    return regularizers.L2(alpha) if alpha > 0 else None


def _recurrent(cell: str) -> type[layers.Layer]:
    if cell not in ("gru", "lstm"):
        raise ValueError(f"cell must be 'gru' or 'lstm', got {cell!r}")
    return layers.GRU if cell == "gru" else layers.LSTM


def build_ffn(params: dict[str, Any], features: int) -> keras.Model:
    model = keras.Sequential([keras.Input((int(params["T"]), features)), layers.Flatten()])
    for _ in range(int(params["hidden_layers"])):
        model.add(
            layers.Dense(
                int(params["latent_dim"]), activation="relu", kernel_regularizer=_l2(params)
            )
        )
    model.add(layers.Dense(int(params["horizon"])))
    return model


def build_rnn(params: dict[str, Any], features: int) -> keras.Model:
    """Vector output: the last hidden state maps to all horizon steps at once."""
    cell = _recurrent(str(params["cell"]))
    second = int(params["latent_dim_2"])
    model = keras.Sequential([keras.Input((int(params["T"]), features))])
    model.add(
        cell(
            int(params["latent_dim_1"]), return_sequences=second > 0, kernel_regularizer=_l2(params)
        )
    )
    if second > 0:
        model.add(cell(second, kernel_regularizer=_l2(params)))
    model.add(layers.Dense(int(params["horizon"])))
    return model


def build_encoder_decoder(params: dict[str, Any], features: int) -> keras.Model:
    """Encoder RNN → RepeatVector(horizon) → decoder RNN → one load value per step."""
    cell = _recurrent(str(params["cell"]))
    horizon = int(params["horizon"])
    enc_2, dec_2 = int(params["encoder_dim_2"]), int(params["decoder_dim_2"])
    model = keras.Sequential([keras.Input((int(params["T"]), features))])
    model.add(
        cell(
            int(params["encoder_dim_1"]), return_sequences=enc_2 > 0, kernel_regularizer=_l2(params)
        )
    )
    if enc_2 > 0:
        model.add(cell(enc_2, kernel_regularizer=_l2(params)))
    model.add(layers.RepeatVector(horizon))
    model.add(
        cell(int(params["decoder_dim_1"]), return_sequences=True, kernel_regularizer=_l2(params))
    )
    if dec_2 > 0:
        model.add(cell(dec_2, return_sequences=True, kernel_regularizer=_l2(params)))
    model.add(layers.TimeDistributed(layers.Dense(1)))
    model.add(layers.Flatten())
    return model


def build_cnn(params: dict[str, Any], features: int) -> keras.Model:
    """Causal Conv1D stack with dilation 1, 2, 4, … so the receptive field doubles per layer."""
    model = keras.Sequential([keras.Input((int(params["T"]), features))])
    for layer in range(int(params["layers"])):
        model.add(
            layers.Conv1D(
                int(params["filters"]),
                int(params["kernel_size"]),
                padding="causal",
                dilation_rate=2**layer,
                activation="relu",
                kernel_regularizer=_l2(params),
            )
        )
    model.add(layers.Flatten())
    model.add(
        layers.Dense(int(params["latent_dim"]), activation="relu", kernel_regularizer=_l2(params))
    )
    model.add(layers.Dense(int(params["horizon"])))
    return model


@keras.saving.register_keras_serializable(package="tunedrive")
class TeacherForcedDecoder(layers.Layer):
    """Steps a recurrent cell over the horizon from the encoder's state. Each step's input is
    the previous value: in training the true one (teacher forcing), at inference its own
    prediction. The first input is the last observed value, known at inference too."""

    def __init__(self, units: int, cell: str = "gru", horizon: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.cell_name, self.horizon = units, cell, horizon
        self.cell = (layers.GRUCell if cell == "gru" else layers.LSTMCell)(units)
        self.project = layers.Dense(1)

    def build(self, input_shape: Any) -> None:
        self.cell.build((None, 1))
        self.project.build((None, self.units))

    def call(self, inputs: list[Any], training: bool | None = None) -> Any:
        *states, previous_values = inputs
        previous = previous_values[:, 0:1]
        outputs = []
        for step in range(self.horizon):
            output, states = self.cell(previous, states, training=training)
            value = self.project(output)
            outputs.append(value)
            if step + 1 < self.horizon:
                previous = previous_values[:, step + 1 : step + 2] if training else value
        return keras.ops.concatenate(outputs, axis=1)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "cell": self.cell_name,
            "horizon": self.horizon,
        }


@keras.saving.register_keras_serializable(package="tunedrive")
class RelativeToLast(layers.Layer):
    """The window's target column relative to its last value, the other columns as they are.
    A network correcting a baseline (which carries the level) then sees the shape of the
    recent past, not its level: a series that trends past its training range (a panel's
    growing members) gives inputs the network has seen, not ones beyond its scaled 0..1."""

    def call(self, window: Any) -> Any:
        target = window[:, :, :1] - window[:, -1:, :1]
        return keras.ops.concatenate([target, window[:, :, 1:]], axis=-1)


def build_rnn_teacher_forcing(params: dict[str, Any], features: int) -> keras.Model:
    """Encoder RNN → its state starts a decoder fed the previous value each step: the true one
    in training, its own prediction at inference (the reference tutorial's model)."""
    cell, units = str(params["cell"]), int(params["latent_dim"])
    horizon = int(params["horizon"])
    window = keras.Input((int(params["T"]), features), name="window")
    previous = keras.Input((horizon,), name="previous_values")
    encoded = _recurrent(cell)(units, return_state=True, kernel_regularizer=_l2(params))(window)
    decoded = TeacherForcedDecoder(units, cell, horizon)([*encoded[1:], previous])
    return keras.Model([window, previous], decoded)


BUILDERS: dict[str, Builder] = {
    "ffn": build_ffn,
    "rnn": build_rnn,
    "encoder_decoder": build_encoder_decoder,
    "rnn_teacher_forcing": build_rnn_teacher_forcing,
    "cnn": build_cnn,
}
TEACHER_FORCED = ("rnn_teacher_forcing",)  # fed the previous values besides the window


def build_model(
    family: str, params: dict[str, Any], features: int, ahead_features: int, residual: bool
) -> keras.Model:
    """The family's network on the input window, plus (DESIGN §6.2) the calendar over the
    forecast window mixed into its output, and with ``residual`` the baseline forecast added
    to it: an all-zero network reproduces the baseline, and the network sees the window's
    target relative to its last value (:class:`RelativeToLast`)."""
    if family not in BUILDERS:
        raise ValueError(f"family must be one of {', '.join(BUILDERS)}, got {family!r}")
    core = BUILDERS[family](params, features)
    if not ahead_features and not residual:
        return core
    horizon = int(params["horizon"])
    window = keras.Input((int(params["T"]), features), name="window")
    inputs = [window]
    if family in TEACHER_FORCED:
        inputs.append(keras.Input((horizon,), name="previous_values"))
    fed = RelativeToLast()(window) if residual else window
    output = core([fed, *inputs[1:]] if len(inputs) > 1 else fed)
    # With residual, the last layer starts at zero: the untrained model *is* the baseline, and
    # training moves away from it only as far as validation says it helps.
    start = "zeros" if residual else "glorot_uniform"
    if ahead_features:
        ahead = keras.Input((horizon, ahead_features), name="calendar_ahead")
        inputs.append(ahead)
        mixed = layers.Concatenate()([output, layers.Flatten()(ahead)])
        output = layers.Dense(horizon, kernel_initializer=start)(mixed)
    elif residual:
        output = layers.Dense(horizon, kernel_initializer=start)(output)
    if residual:
        base = keras.Input((horizon,), name="baseline")
        inputs.append(base)
        output = layers.Add()([output, base])
    return keras.Model(inputs, output)

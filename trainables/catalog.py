"""Declarations of the built-in forecasters: hyperparameters, defaults, metrics.

Loaded through the ``tunedrive.trainables`` entry points by the spec checks, so it must not
import TensorFlow, pandas or the model code.
"""

from __future__ import annotations

from tuner.core.registry import TrainableDefinition

SHARED_HYPERPARAMETERS: dict[str, object] = {
    "T": 168,  # input window, hours
    "horizon": 24,  # forecast steps, hours
    "learning_rate": 1e-3,
    "batch_size": 32,
    "alpha": 0.0,  # L2 weight
    "optimizer": "adam",
    "max_epochs": 100,
    "patience": 5,
    "train_start": None,  # optional "YYYY-MM-DD": train on a recent slice only
}
EPOCH_METRICS = ("loss", "val_loss", "val_mape")
FINAL_METRICS = (
    "test_mape",
    "test_mape_by_horizon",
    "best_epoch",
    "naive_test_mape",
    "device",  # the TensorFlow device that trained: CPU, or /device:GPU:0 when given a GPU
)

FAMILIES: dict[str, tuple[str, dict[str, object]]] = {
    "ffn": ("feed-forward network on the flattened window", {"hidden_layers": 1, "latent_dim": 10}),
    "rnn": (
        "recurrent network with vector output",
        {"cell": "gru", "latent_dim_1": 10, "latent_dim_2": 0},
    ),
    "encoder_decoder": (
        "recurrent encoder-decoder (RepeatVector decoder)",
        {
            "cell": "gru",
            "encoder_dim_1": 10,
            "encoder_dim_2": 0,
            "decoder_dim_1": 10,
            "decoder_dim_2": 0,
        },
    ),
    "cnn": (
        "causal dilated Conv1D stack, dilation doubling per layer",
        {"filters": 16, "kernel_size": 2, "layers": 3, "latent_dim": 16},
    ),
}


def _definition(name: str) -> TrainableDefinition:
    description, own = FAMILIES[name]
    return TrainableDefinition(
        name=name,
        hyperparameters={**SHARED_HYPERPARAMETERS, **own},
        metrics=EPOCH_METRICS,
        final_metrics=FINAL_METRICS,
        fit=f"trainables.fit:fit_{name}",
        load_data="trainables.loading:load_for_tuning",
        description=description,
    )


# What the `tunedrive.trainables` entry points in pyproject.toml name.
ffn = _definition("ffn")
rnn = _definition("rnn")
encoder_decoder = _definition("encoder_decoder")
cnn = _definition("cnn")

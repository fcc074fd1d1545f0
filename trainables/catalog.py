"""Declarations of the built-in forecasters: hyperparameters, defaults, metrics.

Imported by the spec checks, so it must not import TensorFlow, pandas or the model code.
"""

from __future__ import annotations

from tuner.registry import TrainableDefinition, register_trainable

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

for _name, (_description, _own) in FAMILIES.items():
    register_trainable(
        TrainableDefinition(
            name=_name,
            hyperparameters={**SHARED_HYPERPARAMETERS, **_own},
            metrics=EPOCH_METRICS,
            final_metrics=FINAL_METRICS,
            fit=f"trainables.fit:fit_{_name}",
            load_data="trainables.datasets:load_for_tuning",
            description=_description,
        ),
        replace=True,
    )

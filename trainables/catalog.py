"""Declarations of the built-in forecasters: hyperparameters, defaults, metrics.

Loaded through the ``tunedrive.trainables`` entry points by the spec checks, so it must not
import TensorFlow, pandas or the model code.
"""

from __future__ import annotations

from trainables.measures import MEASURES
from tuner.core.domains import (
    Domain,
    boolean,
    date_or_none,
    integer,
    one_of,
    probabilities,
    real,
)
from tuner.core.registry import TrainableDefinition

SHARED_HYPERPARAMETERS: dict[str, object] = {
    "T": 168,  # input window, in steps of the data
    "horizon": 24,  # forecast steps
    "learning_rate": 1e-3,
    "batch_size": 32,
    "alpha": 0.0,  # L2 weight
    "optimizer": "adam",
    "max_epochs": 100,
    "patience": 5,
    "train_start": None,  # optional "YYYY-MM-DD": train on a recent slice only
    # Time of day and day of week, over the input and forecast windows.
    "calendar": True,
    # "baseline": learn the correction to the run's baseline forecast (the winning runs used it
    # on every series measured so far); "seasonal_mean": to the statistical forecast best on
    # validation (trainables.statistical, a hybrid); "none": forecast the target itself.
    "residual": "baseline",
    # The training loss; "auto" follows the primary metric (an absolute error for MAE, MASE,
    # MAPE and sMAPE; squared for RMSE and val_loss).
    "loss": "auto",
    # The quantile forecasts every run reports, calibrated on validation (split conformal).
    "quantiles": [0.1, 0.5, 0.9],
}
# What each hyperparameter accepts. The upper bounds keep one run within a machine's memory
# and a day's training; the data set bounds T + horizon further, at submission.
WIDTH = integer(1, 4096)
OPTIONAL_WIDTH = integer(0, 4096)  # 0: no such layer
CELL = one_of("gru", "lstm")
SHARED_DOMAINS: dict[str, Domain] = {
    "T": integer(1, 100_000),
    "horizon": integer(1, 10_000),
    "learning_rate": real(0, 10, low_open=True),
    "batch_size": integer(1, 65_536),
    "alpha": real(0, 10),
    "optimizer": one_of("adam", "rmsprop", "sgd"),
    "max_epochs": integer(1, 10_000),
    "patience": integer(0, 10_000),
    "train_start": date_or_none(),
    "calendar": boolean(),
    "residual": one_of("none", "baseline", "seasonal_mean"),
    "loss": one_of("auto", "mse", "mae", "huber"),
    "quantiles": probabilities(),
}
FAMILY_DOMAINS: dict[str, dict[str, Domain]] = {
    "ffn": {"hidden_layers": integer(1, 16), "latent_dim": WIDTH},
    "rnn": {"cell": CELL, "latent_dim_1": WIDTH, "latent_dim_2": OPTIONAL_WIDTH},
    "encoder_decoder": {
        "cell": CELL,
        "encoder_dim_1": WIDTH,
        "encoder_dim_2": OPTIONAL_WIDTH,
        "decoder_dim_1": WIDTH,
        "decoder_dim_2": OPTIONAL_WIDTH,
    },
    "rnn_teacher_forcing": {"cell": CELL, "latent_dim": WIDTH},
    "cnn": {
        "filters": WIDTH,
        "kernel_size": integer(1, 64),
        "layers": integer(1, 16),
        "latent_dim": WIDTH,
    },
}
EPOCH_METRICS = ("loss", "val_loss", *(f"val_{m}" for m in MEASURES))
FINAL_METRICS = (
    *(f"test_{m}" for m in MEASURES),
    *(f"test_{m}_by_horizon" for m in MEASURES),  # the primary measure's only
    "best_epoch",
    "baseline",  # naive or seasonal_naive_<P>, the one best on validation
    *(f"baseline_test_{m}" for m in MEASURES),
    *(f"baseline_val_{m}" for m in MEASURES),
    "skill",  # 1 - test/baseline_test of the primary measure (skill_measure)
    "skill_measure",
    "ex_post",  # the future covariates whose actual values stood in for forecasts, if any
    "device",  # the TensorFlow device that trained: CPU, or /device:GPU:0 when given a GPU
    "members",  # a trial group's: how many networks trained (repeats x folds)
    "member_best_epochs",  # and each one's best epoch (best_epoch is their mean)
    "quantiles",  # the quantile forecasts' levels (forecast.csv's q10 … q90 columns)
    # The mean pinball loss over them, and the share of test values inside the outermost pair
    # (named by it: test_coverage_5_95 for 0.05 … 0.95); the baseline's from its own residuals.
    "test_pinball",
    "baseline_test_pinball",
    "test_coverage_10_90",
    "baseline_test_coverage_10_90",
    "baseline_note",  # why the baseline is the last value, where no seasonal period fits
    "residual_of",  # the forecast a residual network corrects (seasonal_mean_168x4_level …)
    "series_count",  # a panel's: how many series
    "series_beating_baseline",  # and the share whose model beats its own baseline
)
# A trial group also reports, each epoch, <metric>_std and <metric>_sem (the mean's standard
# error, which policies allow for) beside each mean, and <primary>_members (each member's best
# so far).

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
    "rnn_teacher_forcing": (
        "encoder-decoder whose decoder is fed the previous true value in training, its own "
        "prediction at inference",
        {"cell": "gru", "latent_dim": 16},
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
        load_data="trainables.loading:load_for_spec",
        forecast="trainables.forecasting:forecast_run",
        model_files=("model.keras", "forecaster.json"),  # trainables.bundle
        refits=True,  # trainables.refits
        ensemble="trainables.ensemble:experiment_ensemble",
        description=description,
        domains={**SHARED_DOMAINS, **FAMILY_DOMAINS[name]},
        training_length="max_epochs",
        trial_groups=True,
        divergence_hint="try a lower learning_rate",
        check_spec="trainables.checks:check_spec",
        check_data="trainables.checks:check_data",
    )


# What the `tunedrive.trainables` entry points in pyproject.toml name.
ffn = _definition("ffn")
rnn = _definition("rnn")
encoder_decoder = _definition("encoder_decoder")
rnn_teacher_forcing = _definition("rnn_teacher_forcing")
cnn = _definition("cnn")

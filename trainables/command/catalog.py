"""The command trainable's declaration: the search space is its hyperparameters, and its
metrics are whatever the script reports."""

from __future__ import annotations

from tuner.core.registry import TrainableDefinition

command = TrainableDefinition(
    name="command",
    hyperparameters={},
    metrics=(),  # any: the primary metric is what the script reports
    fit="trainables.command.runner:fit_command",
    load_data="trainables.command.staging:stage",
    description=(
        "your own training code: trial.command runs once per run with the sampled values "
        "substituted; it reports with tunedrive's report(), JSON lines or mlflow.log_metric"
    ),
    open_hyperparameters=True,
    reuse_workers=False,  # a run's worker ends with it, and with it any process it left
    check_spec="trainables.command.checks:check_spec",
    check_data="trainables.command.checks:check_data",
)

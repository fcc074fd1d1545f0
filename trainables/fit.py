"""The training loop shared by every forecaster family, with per-epoch reporting.

Early stopping is Keras' own, with patience on the metric the run is judged on (the primary
metric where it is a validation measure, else ``val_loss``) and the best epoch's weights
restored; the training loss follows that metric too (``loss: auto``). Speed
without changing the maths: the train step is compiled with XLA (Keras' ``"auto"`` leaves
it off for recurrent layers, where XLA pays most), several steps run per compiled call
(``steps_per_execution``) so Python overhead does not dominate small models, and validation is
one batched forward pass per epoch that yields ``val_loss`` and every measure (``val_mae``,
``val_mase``, …; :mod:`trainables.evaluation`).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from trainables.datasets import Panel, Series
from trainables.gathered import Gathered, predict_windows, window_dataset
from trainables.runs import (
    PREDICT_BATCH,
    RunInputs,
    compile_for_training,
    finish,
    keras_loss,
    prepare_run,
    validation_loss,
)
from tuner.core.registry import RunContext


def configure_tensorflow(cpus: float, gpus: float) -> str:
    """A run uses exactly the CPUs it was given, and a GPU only when it was given one (Ray
    sets CUDA_VISIBLE_DEVICES to the GPUs it assigned). Returns the device that trains."""
    import tensorflow as tf

    threads = max(1, math.floor(cpus))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        if gpus <= 0:
            tf.config.set_visible_devices([], "GPU")
        else:
            for gpu in tf.config.list_physical_devices("GPU"):
                # Grow on demand: runs given a fraction of a GPU (gpu: 0.5) share it.
                tf.config.experimental.set_memory_growth(gpu, True)
    except RuntimeError:
        pass  # already initialized in this (reused) worker with the same resources
    logical = tf.config.list_logical_devices("GPU")
    return logical[0].name if logical else "CPU"


def seed_training(seed: int | None) -> None:
    """The same seed, the same weights, shuffles and metrics (DESIGN §6.4): Python's, NumPy's
    and TensorFlow's generators seeded, and TensorFlow's ops deterministic."""
    if seed is None:
        return
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def validate(model: Any, run: RunInputs) -> dict[str, float]:
    """One batched pass over the validation windows: ``val_loss`` (the training loss plus the
    weight penalty) and every measure on the unscaled forecast."""
    prepared = run.prepared
    scaled = predict_windows(model, prepared.valid.inputs, PREDICT_BATCH)
    unscaled = prepared.unscale(prepared.valid, scaled.astype(np.float64))
    return {
        "val_loss": validation_loss(scaled, prepared.valid.y, model, run.loss),
        **run.evaluation.validation(unscaled),
    }


def validation_reporter(model: Any, run: RunInputs, ctx: RunContext) -> Any:
    """A Keras callback that scores the validation windows once per epoch, reports them, and
    leaves them in the epoch's logs for the EarlyStopping callback after it. A run a policy
    stopped at this report trains no further; EarlyStopping then restores its best epoch."""
    import keras

    class ValidationReporter(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            logs = logs if logs is not None else {}
            scores = validate(model, run)
            logs.update(scores)
            ctx.report({"loss": float(logs.get("loss", math.nan)), **scores})
            if ctx.stop_requested():
                model.stop_training = True

    return ValidationReporter()


def fit_forecaster(
    family: str, params: dict[str, Any], data: Series | Panel, ctx: RunContext
) -> dict[str, Any]:
    device = configure_tensorflow(ctx.cpus, ctx.gpus)
    seed_training(ctx.seed)
    run = prepare_run(family, params, data, ctx.primary_metric)
    if ctx.refit is not None:
        from trainables.refits import fit_refit

        final = fit_refit(run, params, ctx)
    elif ctx.repeats * ctx.folds > 1:
        from trainables.groups import fit_group

        final = fit_group(run, params, ctx)
    else:
        final = fit_single(run, params, ctx)
    return {**final, "device": device}


def fit_single(run: RunInputs, params: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    import keras

    prepared, evaluation = run.prepared, run.evaluation
    model = run.build()
    compile_for_training(model, params, loss=keras_loss(run.loss))
    # Patience on the metric the run is judged on; its best epoch's weights are restored.
    stopping = keras.callbacks.EarlyStopping(
        monitor=run.selection,
        mode="min",
        patience=int(params["patience"]),
        restore_best_weights=True,
    )
    untrained = (model.get_weights(), validate(model, run)[run.selection]) if run.residual else None
    train, batch_size = prepared.train, int(params["batch_size"])
    if isinstance(train.x, Gathered):  # a panel: gathered a batch at a time
        # The dataset shuffles itself (Keras' own shuffle would only warn).
        batches = window_dataset(train.inputs, train.y, batch_size, ctx.seed)
        fed: dict[str, Any] = {"x": batches, "shuffle": False}
    else:
        fed = {"x": train.inputs, "y": train.y, "batch_size": batch_size, "shuffle": True}
    model.fit(
        **fed,
        epochs=int(params["max_epochs"]),
        callbacks=[validation_reporter(model, run, ctx), stopping],
        verbose=0,
    )
    best_epoch = stopping.best_epoch + 1  # Keras counts epochs from 0
    if untrained is not None and not stopping.best < untrained[1]:
        # No epoch beat the untrained residual model, which *is* the baseline: keep it.
        model.set_weights(untrained[0])
        best_epoch = 0
    return finish(model, prepared, evaluation, ctx.run_dir, best_epoch, run)


fit_ffn = functools.partial(fit_forecaster, "ffn")
fit_rnn = functools.partial(fit_forecaster, "rnn")
fit_encoder_decoder = functools.partial(fit_forecaster, "encoder_decoder")
fit_cnn = functools.partial(fit_forecaster, "cnn")
fit_rnn_teacher_forcing = functools.partial(fit_forecaster, "rnn_teacher_forcing")

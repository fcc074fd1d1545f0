"""Experiment spec: models, parameter expressions and parsing with field-named errors."""

from tuner.core.spec.expressions import Expression, parse_expression
from tuner.core.spec.models import COMMAND_TRAINABLE, ExperimentSpec
from tuner.core.spec.parsing import load_spec, parse_spec, parse_submission
from tuner.core.spec.sections import (
    Budget,
    EarlyTermination,
    Goal,
    PrimaryMetric,
    Resources,
    Sampling,
)

__all__ = [
    "COMMAND_TRAINABLE",
    "Budget",
    "EarlyTermination",
    "ExperimentSpec",
    "Expression",
    "Goal",
    "PrimaryMetric",
    "Resources",
    "Sampling",
    "load_spec",
    "parse_expression",
    "parse_spec",
    "parse_submission",
]

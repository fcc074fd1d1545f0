"""Experiment spec: models, parameter expressions and parsing with field-named errors."""

from tuner.core.spec.expressions import Expression, parse_expression
from tuner.core.spec.models import (
    Budget,
    EarlyTermination,
    ExperimentSpec,
    Goal,
    PrimaryMetric,
    Resources,
    Sampling,
    load_spec,
    parse_spec,
)

__all__ = [
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
]

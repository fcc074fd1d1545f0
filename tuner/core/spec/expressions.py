"""HyperDrive parameter expressions: parsing, domain checks and the latent-variable view.

Every expression is an Optuna distribution over a *latent* value plus a pure transform of it,
so random, Sobol and TPE sampling all see the same space:

* ``choice`` / ``randint``: categorical / integer latent, identity transform;
* ``uniform`` family: float latent on [lo, hi]; ``loguniform`` exponentiates it (HyperDrive's
  bounds are exponents), ``q`` variants round to a multiple of q;
* ``normal`` family: float latent u on (0, 1) mapped through the normal inverse CDF, so Sobol
  points stay low-discrepancy and TPE models a bounded space.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

ARITY = {
    "choice": 1,
    "randint": 1,
    "uniform": 2,
    "quniform": 3,
    "loguniform": 2,
    "qloguniform": 3,
    "normal": 2,
    "qnormal": 3,
    "lognormal": 2,
    "qlognormal": 3,
}
ARG_NAMES = {
    "uniform": ("low", "high"),
    "quniform": ("low", "high", "q"),
    "loguniform": ("low", "high"),
    "qloguniform": ("low", "high", "q"),
    "normal": ("mu", "sigma"),
    "qnormal": ("mu", "sigma", "q"),
    "lognormal": ("mu", "sigma"),
    "qlognormal": ("mu", "sigma", "q"),
}
_UNIT_EPS = 1e-9  # keeps the normal inverse CDF finite at the latent's ends
_STD_NORMAL = NormalDist()

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Reach:
    """What an expression can produce: ``values`` (finite), or numbers in [low, high] that
    are whole numbers when ``integral``."""

    values: tuple[Scalar, ...] | None = None
    low: float = -math.inf
    high: float = math.inf
    integral: bool = False


class ExpressionError(ValueError):
    """A bad expression; ``kind`` is appended to the field path when known."""

    def __init__(self, kind: str | None, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(f"{kind}: {message}" if kind else message)


@dataclass(frozen=True)
class Expression:
    kind: str
    args: tuple[Any, ...]

    # -- views -----------------------------------------------------------------------------
    @property
    def choices(self) -> list[Scalar]:
        if self.kind != "choice":
            raise TypeError(f"{self.kind} has no finite list of values")
        return list(self.args[0])

    def reach(self) -> Reach:
        """Every value this expression can produce, as a finite set or a numeric range."""
        kind, args = self.kind, self.args
        if kind == "choice":
            return Reach(values=tuple(args[0]))
        if kind == "randint":
            return Reach(low=0, high=int(args[0]) - 1, integral=True)
        if kind in ("uniform", "quniform", "loguniform", "qloguniform"):
            low, high = self.transform(float(args[0])), self.transform(float(args[1]))
        else:  # the latent's clipped ends: mu ± about 6 sigma (exponentiated for log-normal)
            low, high = self.transform(_UNIT_EPS), self.transform(1.0 - _UNIT_EPS)
        integral = kind.startswith("q") and float(args[2]).is_integer()
        return Reach(low=float(low), high=float(high), integral=integral)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        if self.kind == "choice":
            return {"choice": list(self.args[0])}
        if self.kind == "randint":
            return {"randint": [self.args[0]]}
        return {self.kind: list(self.args)}

    # -- sampling ----------------------------------------------------------------------------
    def suggest(self, trial: Any, name: str) -> Scalar:
        """Draws the latent value through an Optuna trial and returns the parameter value."""
        kind, args = self.kind, self.args
        if kind == "choice":
            return trial.suggest_categorical(name, list(args[0]))
        if kind == "randint":
            return trial.suggest_int(name, 0, int(args[0]) - 1)
        if kind in ("uniform", "quniform", "loguniform", "qloguniform"):
            return self.transform(trial.suggest_float(name, float(args[0]), float(args[1])))
        return self.transform(trial.suggest_float(name, _UNIT_EPS, 1.0 - _UNIT_EPS))

    def latent(self, value: Any) -> float | int | Scalar:
        """The latent value that gives ``value`` (to tell a sampler of a finished run);
        raises ValueError for a value this expression cannot produce."""
        kind, args = self.kind, self.args
        if kind == "choice":
            if value not in list(args[0]):
                raise ValueError(f"{value!r} is not one of the choices")
            return value  # type: ignore[no-any-return]
        if not _is_number(value):
            raise ValueError(f"{value!r} is not a number")
        reach = self.reach()
        if not reach.low <= float(value) <= reach.high:
            raise ValueError(f"{value!r} is outside [{reach.low:g}, {reach.high:g}]")
        if kind == "randint":
            return int(value)
        if kind in ("uniform", "quniform"):
            return float(value)
        if kind in ("loguniform", "qloguniform"):
            return math.log(float(value))
        mu, sigma = float(args[0]), float(args[1])
        normal = math.log(float(value)) if kind in ("lognormal", "qlognormal") else float(value)
        unit = _STD_NORMAL.cdf((normal - mu) / sigma)
        return min(max(unit, _UNIT_EPS), 1.0 - _UNIT_EPS)

    def distribution(self) -> Any:
        """The Optuna distribution of the latent value, as :meth:`suggest` draws it."""
        import optuna

        kind, args = self.kind, self.args
        if kind == "choice":
            return optuna.distributions.CategoricalDistribution(list(args[0]))
        if kind == "randint":
            return optuna.distributions.IntDistribution(0, int(args[0]) - 1)
        if kind in ("uniform", "quniform", "loguniform", "qloguniform"):
            return optuna.distributions.FloatDistribution(float(args[0]), float(args[1]))
        return optuna.distributions.FloatDistribution(_UNIT_EPS, 1.0 - _UNIT_EPS)

    def transform(self, latent: float) -> Scalar:
        kind, args = self.kind, self.args
        if kind in ("choice", "randint"):
            return latent
        if kind in ("uniform", "quniform"):
            value = latent
        elif kind in ("loguniform", "qloguniform"):
            value = math.exp(latent)
        else:
            mu, sigma = float(args[0]), float(args[1])
            value = mu + sigma * _STD_NORMAL.inv_cdf(min(max(latent, _UNIT_EPS), 1 - _UNIT_EPS))
            if kind in ("lognormal", "qlognormal"):
                value = math.exp(value)
        return _round_to_multiple(value, args[2]) if kind.startswith("q") else value


def _round_to_multiple(value: float, q: float) -> float | int:
    rounded = round(value / q) * q
    if float(q).is_integer():
        return int(rounded)  # integer steps (batch sizes, units) give integers
    return round(rounded, 12)  # drop float noise such as 0.30000000000000004


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_expression(raw: Any) -> Expression:
    """Parses ``{kind: args}``; raises :class:`ExpressionError` naming what is wrong."""
    if isinstance(raw, Expression):
        return raw
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ExpressionError(
            None, "must be exactly one expression such as {choice: [1, 2]} or {uniform: [0, 1]}"
        )
    ((kind, args),) = raw.items()
    if kind not in ARITY:
        raise ExpressionError(None, f"unknown expression {kind!r}; use one of {', '.join(ARITY)}")
    if kind == "choice":
        return Expression(kind, (_parse_choices(args),))
    if kind == "randint":
        upper = args[0] if isinstance(args, list) and len(args) == 1 else args
        if not isinstance(upper, int) or isinstance(upper, bool) or upper < 1:
            raise ExpressionError(kind, "upper must be an integer >= 1 (samples lie in [0, upper))")
        return Expression(kind, (upper,))
    names = ARG_NAMES[kind]
    if not isinstance(args, list) or len(args) != len(names):
        raise ExpressionError(kind, f"must be a list of {len(names)} numbers [{', '.join(names)}]")
    for arg_name, value in zip(names, args, strict=True):
        if not _is_number(value):
            raise ExpressionError(kind, f"{arg_name} must be a finite number, got {value!r}")
    if names[:2] == ("low", "high") and not args[0] < args[1]:
        raise ExpressionError(kind, f"low ({args[0]}) must be less than high ({args[1]})")
    if names[:2] == ("mu", "sigma") and args[1] <= 0:
        raise ExpressionError(kind, f"sigma must be > 0, got {args[1]}")
    if len(names) == 3 and args[2] <= 0:
        raise ExpressionError(kind, f"q must be > 0, got {args[2]}")
    if kind in ("loguniform", "qloguniform") and args[1] > 700:
        raise ExpressionError(kind, "bounds are exponents (e^low .. e^high); high must be <= 700")
    return Expression(kind, tuple(args))


def _parse_choices(args: Any) -> tuple[Scalar, ...]:
    if not isinstance(args, list) or not args:
        raise ExpressionError("choice", "must be a non-empty list")
    for value in args:
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ExpressionError(
                "choice", f"values must be numbers, strings or booleans; got {value!r}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ExpressionError("choice", f"values must be finite; got {value!r}")
    if len({repr(v) for v in args}) != len(args):
        raise ExpressionError("choice", "values must be distinct")
    return tuple(args)

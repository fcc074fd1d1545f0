"""The one exception hierarchy of tunedrive. Only ``api/`` maps it to HTTP."""

from __future__ import annotations

from dataclasses import dataclass


class TunedriveError(Exception):
    """Base class of every error tunedrive raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a spec: the dotted field path and what to do about it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class SpecError(TunedriveError, ValueError):
    """An experiment spec was refused; ``problems`` names every bad field."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class NotFoundError(TunedriveError, LookupError):
    """An experiment, run or data set id that does not exist."""


class ConflictError(TunedriveError):
    """The request does not fit the current state (e.g. cancel a finished experiment)."""


class DataError(TunedriveError):
    """Input data is missing, corrupt or malformed; the message says where and what to do."""


class ExperimentFailed(TunedriveError):
    """An experiment could not produce a result; the message is stored as its stop reason."""


class AuthError(TunedriveError):
    """The service wants a bearer token and got none, or a wrong one."""


class ServiceError(TunedriveError):
    """The service could not be reached, or refused a request for another reason (size limit,
    server error); the message carries what it said."""


class UnsupportedBody(TunedriveError):
    """A request body of a content type the endpoint does not read."""


class LeaseLost(TunedriveError):
    """A driver's lease on its experiment was taken over: the driver must write nothing more."""


class RunStopped(TunedriveError):
    """A run reported again after an early-termination policy had stopped it."""


class StoreUnavailable(TunedriveError):
    """The store could not be written within the retry cap (an outage): the driver journals
    what it holds, stops renewing its lease and ends; the next driver writes the journal."""


class StoreRefused(TunedriveError):
    """The store refused a write that no retry can fix (a constraint, a value it cannot hold);
    the message names it, and the experiment fails with it."""


class RunFailed(TunedriveError):
    """A run that cannot go on, for a reason its error says in full (a metric that is not a
    number, a command that exited badly, a primary metric never reported)."""


class Forbidden(TunedriveError):
    """Refused by the service's configuration (e.g. command trials turned off)."""

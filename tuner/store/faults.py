"""Which store errors a retry can fix: a lost connection, a lock or statement timeout, a
serialization failure or deadlock. Anything else (a constraint, a value a column cannot hold,
a bad statement) fails the same way every time."""

from __future__ import annotations

from sqlalchemy import exc

# PostgreSQL SQLSTATEs worth a retry: connection exceptions (08…), serialization failure,
# deadlock, lock not available, query canceled (statement timeout), admin shutdown / crash /
# cannot connect now (57P01-3).
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03"}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):  # the pool's timeout too
        return True
    if not isinstance(error, exc.DBAPIError):
        return False  # e.g. a StatementError around a value JSON cannot hold
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate:
        return sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith("08")
    # SQLite (no SQLSTATE): "database is locked" and "unable to open database file" are
    # operational errors; a constraint is an IntegrityError.
    return isinstance(error, exc.OperationalError | exc.InterfaceError)


def describe(error: BaseException) -> str:
    """One line of what the store said, never the statement's parameters (they may hold
    values a user reported, or secrets)."""
    orig = getattr(error, "orig", None) or error.__cause__ or error
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"{type(orig).__name__}: {text[:300]}"

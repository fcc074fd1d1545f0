"""The command trainable: a user's own training code, run as a process per run (issue 20).

Declared in :mod:`trainables.command.catalog`; loading it imports nothing heavy."""

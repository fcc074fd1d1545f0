"""The guard of one command trial: ``python -m trainables.command.guard PGID STOP_FILE GRACE``.

Started beside the command, in a session of its own, with a pipe from the run's worker on its
stdin. ``stop`` on that pipe, or its end (the worker was killed: a cancel, a time limit, a lost
driver), stops the command's process group in order; ``end`` (the command exited) stops only
what it left behind. Either way it exits once the group is empty, so that no script outlives
its run whatever happens to the worker.
"""

from __future__ import annotations

import sys
from pathlib import Path

from trainables.command.processes import stop_group


def main(argv: list[str]) -> int:
    pgid, stop_file, grace = int(argv[0]), Path(argv[1]), float(argv[2])
    line = sys.stdin.readline()  # blocks until the worker writes, or its end closes the pipe
    how = stop_group(pgid, stop_file if line.strip() != "end" else None, grace)
    print(how, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

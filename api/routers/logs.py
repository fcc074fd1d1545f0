"""/api/runs/{id}/logs: a command trial's stdout or stderr, its tail, and following it."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse

from api.blocking import off_loop
from api.deps import SettingsDep, StoreDep
from api.routers.runs import run_folder
from tuner.client.schemas import Error
from tuner.store import Store
from tuner.store.records import FINISHED_RUN_STATES

router = APIRouter(prefix="/api/runs", tags=["runs"])
FOLLOW_POLL_SECONDS = 0.5


def tail_lines(path: Path, lines: int) -> tuple[str, int]:
    """The file's last ``lines`` lines, and the offset after them."""
    if not path.is_file():
        return "", 0
    with path.open("rb") as source:
        kept = deque(source, maxlen=lines)
        return b"".join(kept).decode("utf-8", "replace"), source.tell()


async def _follow(
    path: Path, offset: int, store: Store, run_id: str, first: str
) -> AsyncIterator[bytes]:
    """What is appended to the log, until the run has ended and nothing more came."""
    yield first.encode()
    while True:
        run = await off_loop(store.get_run, run_id)
        chunk = b""
        if path.is_file():
            with path.open("rb") as source:
                source.seek(offset)
                chunk = source.read()
        offset += len(chunk)
        if chunk:
            yield chunk
        elif run.status in FINISHED_RUN_STATES:
            return
        await asyncio.sleep(FOLLOW_POLL_SECONDS)


@router.get(
    "/{run_id}/logs",
    response_model=None,
    responses={
        404: {"model": Error},
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
    },
)
async def run_logs(
    run_id: str,
    store: StoreDep,
    settings: SettingsDep,
    stream: Literal["stdout", "stderr"] = "stdout",
    tail: Annotated[int, Query(ge=1, le=100_000)] = 200,
    follow: bool = False,
) -> PlainTextResponse | StreamingResponse:
    """A command trial's output: its last ``tail`` lines, and with ``follow`` what it writes
    after them until the run ends (empty for a run that wrote nothing)."""
    folder = await off_loop(run_folder, run_id, store, settings)
    path = folder / f"{stream}.log"
    text, offset = await off_loop(tail_lines, path, tail)
    if not follow:
        return PlainTextResponse(text)
    return StreamingResponse(
        _follow(path, offset, store, run_id, text), media_type="text/plain; charset=utf-8"
    )

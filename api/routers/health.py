"""/api/health: liveness and database reachability (no token needed, for health checks)."""

from __future__ import annotations

from fastapi import APIRouter

from api.blocking import off_loop
from api.deps import StoreDep
from tuner import __version__
from tuner.client.schemas import Health

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health)
async def health(store: StoreDep) -> Health:
    try:
        await off_loop(store.ping)
        database = "ok"
    except Exception as err:
        database = f"unreachable ({type(err).__name__})"
    return Health(
        status="ok" if database == "ok" else "degraded", version=__version__, database=database
    )

"""/api/health: liveness and database reachability (no token needed, for health checks)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import StoreDep
from api.schemas import HealthPublic
from tuner import __version__

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=HealthPublic)
async def health(store: StoreDep) -> HealthPublic:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception as err:
        database = f"unreachable ({type(err).__name__})"
    return HealthPublic(
        status="ok" if database == "ok" else "degraded", version=__version__, database=database
    )

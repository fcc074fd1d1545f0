"""The app factory: routers, the error mapping (the only place errors become HTTP), limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

import dashboard
from api import blocking
from api.deps import require_token
from api.guards import LoopbackGuard
from api.limits import BodyLimit
from api.routers import (
    code,
    datasets,
    ensembles,
    experiments,
    forecasts,
    health,
    logs,
    refits,
    runs,
    trainables,
)
from tuner import __version__
from tuner.client.schemas import Error
from tuner.core.settings import Settings
from tuner.errors import (
    ConflictError,
    DataError,
    Forbidden,
    NotFoundError,
    SpecError,
    TunedriveError,
    UnsupportedBody,
)
from tuner.store import Store

_STATUS: list[tuple[type[TunedriveError], int]] = [
    (SpecError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (DataError, 422),
    (UnsupportedBody, 415),
    (Forbidden, 403),
]


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store is None
        app.state.store = store or Store.open(settings.resolved_database_url)
        yield
        blocking.shutdown()
        if opened:
            app.state.store.close()

    app = FastAPI(
        title="tunedrive",
        version=__version__,
        description="Hyperparameter tuning for deep time-series forecasters.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
    secured = [Depends(require_token)]
    # The error shape every route really returns (FastAPI would document its own 422 shape).
    errors: dict[int | str, dict[str, Any]] = {
        401: {"model": Error, "description": "missing or invalid bearer token"},
        422: {"model": Error, "description": "invalid request; the detail names the field"},
    }
    app.include_router(experiments.router, dependencies=secured, responses=errors)
    app.include_router(runs.router, dependencies=secured, responses=errors)
    app.include_router(logs.router, dependencies=secured, responses=errors)
    app.include_router(datasets.router, dependencies=secured, responses=errors)
    app.include_router(code.router, dependencies=secured, responses=errors)
    app.include_router(trainables.router, dependencies=secured, responses=errors)
    app.include_router(forecasts.router, dependencies=secured, responses=errors)
    app.include_router(refits.router, dependencies=secured, responses=errors)
    app.include_router(ensembles.router, dependencies=secured, responses=errors)
    app.include_router(health.router)
    dashboard.mount(app)
    _install_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        default_limit=settings.max_body_bytes,
        upload_limits={
            "/api/datasets": settings.max_dataset_bytes,
            "/api/code": settings.max_code_bytes,
        },
    )
    # Outermost: a refused request is answered before anything reads its body.
    app.add_middleware(LoopbackGuard, enabled=not settings.api_tokens)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TunedriveError)
    async def _domain_error(request: Request, error: TunedriveError) -> JSONResponse:
        code = next((c for kind, c in _STATUS if isinstance(error, kind)), 500)
        problems = [
            {"field": p.field, "message": p.message} for p in getattr(error, "problems", [])
        ]
        return JSONResponse({"detail": str(error), "errors": problems}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def _request_error(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        return JSONResponse({"detail": detail, "errors": problems}, status_code=422)

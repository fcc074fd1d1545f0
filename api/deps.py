"""FastAPI dependencies: settings, the store, and bearer-token auth."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tuner.core.settings import Settings
from tuner.store import Store

_bearer = HTTPBearer(auto_error=False, description="a token from TUNEDRIVE_API_TOKENS")


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def require_token(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """With tokens configured every request needs one; compared in constant time, never logged."""
    if not settings.api_tokens:
        return  # no tokens: the server only listens on loopback (enforced by `tunedrive serve`)
    offered = credentials.credentials.encode() if credentials else b""
    valid = False
    for token in settings.api_tokens:
        valid |= hmac.compare_digest(offered, token.get_secret_value().encode())
    if not valid:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid bearer token; send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]

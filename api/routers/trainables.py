"""/api/trainables: every trainable, its hyperparameters (domains, defaults) and metrics."""

from __future__ import annotations

from fastapi import APIRouter

from api.blocking import off_loop
from tuner.client.commands import Trainable
from tuner.core.registry import get_trainable, trainable_names

router = APIRouter(prefix="/api/trainables", tags=["trainables"])


def _listed() -> list[Trainable]:
    return [Trainable.model_validate(get_trainable(n).describe()) for n in trainable_names()]  # type: ignore[union-attr]


@router.get("", response_model=list[Trainable])
async def list_trainables() -> list[Trainable]:
    return await off_loop(_listed)

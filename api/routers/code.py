"""/api/code: upload a code snapshot (tar.gz or zip) for command trials."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.blocking import note_write, off_loop
from api.deps import SettingsDep
from tuner.client.commands import CodeSnapshot
from tuner.client.schemas import Error
from tuner.errors import UnsupportedBody
from tuner.service.code import save_snapshot

router = APIRouter(prefix="/api/code", tags=["code"])
ARCHIVE_TYPES = (
    "application/gzip",
    "application/x-gzip",
    "application/x-tar",
    "application/zip",
    "application/octet-stream",
)
ARCHIVE_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ARCHIVE_TYPES},
    }
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CodeSnapshot,
    responses={
        200: {"model": CodeSnapshot, "description": "the same files were already stored"},
        403: {"model": Error, "description": "command trials are turned off"},
        413: {"model": Error, "description": "archive over the size limit"},
        415: {"model": Error, "description": "not sent as application/gzip or application/zip"},
    },
    openapi_extra=ARCHIVE_BODY,
)
async def upload_code(request: Request, response: Response, settings: SettingsDep) -> CodeSnapshot:
    """A folder of code as a tar.gz or zip. Refused with 422, storing nothing: absolute paths,
    ``..``, links out of the folder, hard links, device files, more bytes than the limit.
    The answer's ``id`` (the sha256 of the files) goes in a spec as ``trial.code``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ARCHIVE_TYPES:
        raise UnsupportedBody(
            f"a code snapshot is sent as application/gzip or application/zip, not "
            f"{content_type or 'no content type'!r}"
        )
    body = await request.body()
    stored = await off_loop(save_snapshot, settings, body)
    note_write()
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return CodeSnapshot(
        id=stored.id, files=stored.files, bytes=stored.bytes, created=stored.created
    )

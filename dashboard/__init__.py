"""The web dashboard: static pages served at ``/`` that talk only to the JSON API.

Plotly.js comes from the ``plotly`` wheel's own bundle, so the dashboard works offline. The
pages and the bundle are read into memory once and served in one piece: from disk, in 64 KiB
chunks through a thread pool, they took 0.1-0.4 s each on loopback, queued behind the page's
own API reads, which put the 10,000-run page over its 2 s.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
# The pages load scripts only from this origin and talk only to it. Plotly injects its own
# <style> elements, hence 'unsafe-inline' for styles (never for scripts).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def plotly_bundle() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class _Asset:
    def __init__(self, path: Path, cache_seconds: int) -> None:
        self.body = path.read_bytes()
        self.media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            self.media_type = "text/javascript"  # what module scripts require
        self.etag = f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'
        self.cache = f"public, max-age={cache_seconds}" if cache_seconds else "no-cache"

    def response(self, request: Request) -> Response:
        headers = {"ETag": self.etag, "Cache-Control": self.cache, **SECURITY_HEADERS}
        if request.headers.get("if-none-match") == self.etag:
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def mount(app: FastAPI) -> None:
    # The pages revalidate (no-cache, 304 when unchanged); Plotly's bundle is kept a week.
    pages = {p.name: _Asset(p, 0) for p in STATIC.iterdir() if p.is_file()}
    plotly_js = _Asset(plotly_bundle(), 7 * 24 * 3600)

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return pages["index.html"].response(request)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str, request: Request) -> Response:
        if name not in pages:
            raise HTTPException(404, f"no dashboard file {name!r}")
        return pages[name].response(request)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly(request: Request) -> Response:
        return plotly_js.response(request)

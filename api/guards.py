"""With no token configured, the service trusts loopback: these checks keep it that way.

A page on any web site can make the browser send requests to a service on localhost. Without
a token nothing else stands in the way, so:
- the Host header must be a loopback name (a DNS-rebinding page arrives with its own name);
- a write (any method but GET, HEAD, OPTIONS) is refused when the browser says it comes from
  another site (``Origin`` not this service's own, or ``Sec-Fetch-Site: cross-site``), and when
  its content type is one a cross-site form or ``no-cors`` fetch may send without asking
  (``text/plain``, form encodings): the API reads none of them.
The dashboard, served from the same origin, is unaffected. Plain ASGI middleware.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
FORM_TYPES = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}


def host_name(host: str) -> str:
    """``127.0.0.1:8000`` -> ``127.0.0.1``, ``[::1]:8000`` -> ``[::1]``."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    name = host_name(host.strip().lower())
    return name in LOOPBACK_HOSTS or name.startswith("127.")


def refusal(method: str, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
    """Why a request must be refused (status, reason), or None to serve it."""
    host = headers.get(b"host", b"").decode("latin-1")
    if not is_loopback(host):
        return 400, (
            f"Host {host or '(none)'!r} is not a loopback name; without a token this service "
            "answers only http://127.0.0.1 or http://localhost (set TUNEDRIVE_API_TOKENS to "
            "serve other names)"
        )
    if method in SAFE_METHODS:
        return None
    origin = headers.get(b"origin", b"").decode("latin-1")
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != host.lower():
        return 403, f"cross-site request from {origin} refused; use the dashboard or the API"
    if origin == "null" or headers.get(b"sec-fetch-site", b"") == b"cross-site":
        return 403, "cross-site request refused; use the dashboard or the API"
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip()
    if content_type.lower() in FORM_TYPES:
        return 415, (
            f"content type {content_type!r} is not accepted for a write (a cross-site form "
            "could send it); send application/json, application/yaml or text/csv"
        )
    return None


class LoopbackGuard:
    def __init__(self, app: Any, enabled: bool) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.enabled and scope["type"] == "http":
            refused = refusal(scope["method"], dict(scope.get("headers") or []))
            if refused is not None:
                status, reason = refused
                body = json.dumps({"detail": reason, "errors": []}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

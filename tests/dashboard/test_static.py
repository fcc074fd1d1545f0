"""The dashboard's files: served with a Content-Security-Policy, revalidated by ETag."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

import dashboard


def client() -> TestClient:
    app = FastAPI()
    dashboard.mount(app)
    return TestClient(app)


def test_pages_carry_a_content_security_policy() -> None:
    page = client().get("/")
    assert page.status_code == 200 and '<template id="tpl-experiments">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"


def test_unchanged_files_revalidate_with_304() -> None:
    http = client()
    first = http.get("/static/dom.js")
    assert first.headers["content-type"].startswith("text/javascript")
    again = http.get("/static/dom.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert http.get("/static/nope.js").status_code == 404


def test_no_script_builds_html_from_strings() -> None:
    for script in dashboard.STATIC.glob("*.js"):
        text = script.read_text()
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, script.name

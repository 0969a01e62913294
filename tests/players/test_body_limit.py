"""Request bodies over the limit get 413 before Django reads them (ASGI level)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.core.asgi import get_asgi_application

from kogame.body_limit import RequestBodyLimit

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 1024


def http_scope(headers):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/guest",
        "raw_path": b"/api/guest",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app, scope, chunks):
    """Runs one request; returns the response and how many body chunks the app asked for."""
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ]
    read = 0

    async def receive():
        nonlocal read
        if read < len(pending):
            read += 1
            return pending[read - 1]
        # The client stays connected until the response is sent (Django listens for a disconnect).
        return await asyncio.Future()

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, read


@pytest.fixture
def app():
    return RequestBodyLimit(get_asgi_application(), max_bytes=LIMIT)


@database_sync_to_async
def guests():
    return get_user_model().objects.count()


async def test_a_declared_length_over_the_limit_is_refused_without_reading_the_body(app):
    scope = http_scope([(b"content-length", str(20 * 1024 * 1024).encode())])
    status, headers, body, read = await call(app, scope, [b"x" * 4096] * 8)
    assert status == 413 and read == 0
    assert headers[b"content-type"] == b"application/json"
    assert json.loads(body)["code"] == "body_too_large"
    assert await guests() == 0


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(app):
    scope = http_scope([(b"transfer-encoding", b"chunked")])
    status, _, body, read = await call(app, scope, [b"x" * 400] * 50)
    assert status == 413 and json.loads(body)["code"] == "body_too_large"
    assert read == 3  # 1200 bytes: past the limit, nothing more is read
    assert await guests() == 0


async def test_bodies_within_the_limit_reach_the_view(app):
    status, _, body, _ = await call(app, http_scope([(b"content-length", b"10")]), [b"0123456789"])
    assert status == 201 and json.loads(body)["token"]


def test_django_refuses_form_bodies_over_the_same_limit(client):
    # The test client skips the ASGI layer: Django's own DATA_UPLOAD_MAX_MEMORY_SIZE answers.
    response = client.post("/signup/", {"username": "x" * (65 * 1024)})
    assert response.status_code == 400

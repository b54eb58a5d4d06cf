"""Answers no upstream should give, from a raw socket on loopback, by both ways a status call goes
out: each becomes a recorded outcome, never an exception out of the poll run."""

import gzip
import json
import socket
import threading

import pytest

from health.vocabulary import Outcome
from tests.upstream.conftest import status_in_a_sweep
from upstream import transport

SECRET = "sbx_secret-value-123"


@pytest.fixture
def upstream_answering(settings):
    """Serve `answer` (raw bytes, then close) to every connection; point the client at it."""
    listener = socket.create_server(("127.0.0.1", 0))
    settings.UNIFIED_API_BASE_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    answers = []

    def serve():
        while True:
            try:
                peer, _ = listener.accept()
            except OSError:
                return
            with peer:
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = peer.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                peer.sendall(answers[0])

    threading.Thread(target=serve, daemon=True).start()
    yield answers.append
    listener.close()


def http_answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_a_gzip_encoded_answer_is_decoded(upstream_answering, get_status):
    body = {"id": "conn_1", "status": "active", "reauth_required": False, "last_error": None}
    upstream_answering(
        http_answer(
            gzip.compress(json.dumps(body).encode()),
            "Content-Type: application/json",
            "Content-Encoding: gzip",
            "X-Request-ID: req_gzip",
        )
    )
    result = get_status("conn_1", SECRET)
    assert (result.outcome, result.upstream_status, result.request_id) == (
        Outcome.OK,
        "active",
        "req_gzip",
    )


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"id":', id="cut off"),
        pytest.param(b"SSH-2.0-OpenSSH_9.2\r\n\r\n", id="not HTTP"),
        pytest.param(b"", id="closed without a word"),
    ],
)
def test_a_broken_answer_is_a_transport_error(upstream_answering, get_status, answer):
    upstream_answering(answer)
    result = get_status("conn_1", SECRET)
    assert (result.outcome, result.error_code) == (Outcome.UNREACHABLE, "TRANSPORT_ERROR")


def test_a_sweep_stops_reading_an_answer_too_large_to_hold(upstream_answering):
    upstream_answering(http_answer(b"x" * (transport.MAX_ANSWER_BYTES + 1)))
    result = status_in_a_sweep("conn_1", SECRET)
    assert (result.outcome, result.error_code) == (Outcome.UNREACHABLE, "TRANSPORT_ERROR")

"""The sweep's HTTP transport: status calls carried by aiohttp, answered as httpx responses.

A sweep sends thousands of status calls a minute from one worker process. httpx's own async
transport (httpcore, h11 and anyio, all pure Python) spent about 0.55 ms of CPU on each; aiohttp's
C parser and connection pool carry the same call for about 0.3 ms, and that difference is what
lets one worker sweep 1,000 connections a second on two cores. The client still reads an
`httpx.Response`, and every failure is raised as the httpx exception it corresponds to, so
`client.interpret_status` and `client.transport_failure` treat a sweep's call as a single one's.
"""

from __future__ import annotations

import aiohttp
import httpx
from yarl import URL

# A status answer is a few hundred bytes; an upstream streaming more than this is broken, and the
# worker must not hold it in memory.
MAX_ANSWER_BYTES = 1024 * 1024


class AiohttpTransport:
    """Up to `max_connections` keep-alive connections shared by every call sent through it.

    Use it as an async context manager, inside the event loop that sends. TLS is verified with
    aiohttp's default context, built once per process (loading the CA store per batch cost 20 ms).
    """

    def __init__(self, *, max_connections: int):
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections)
            # No trust_env: it looks up proxies and .netrc in a thread on every call, which cost
            # as much as the call. auto_decompress off: httpx decodes by Content-Encoding.
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def send(self, method: str, url: str, headers, *, timeout: dict) -> httpx.Response:
        """One call to an already percent-encoded URL, with httpx's timeout dict.

        No `httpx.Request` is built: its URL parser is pure Python, and was a fifth of the
        worker's CPU per status call.
        """
        try:
            async with self._client_session().request(
                method,
                URL(url, encoded=True),
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            ) as answer:
                return httpx.Response(
                    answer.status,
                    headers=answer.raw_headers,
                    content=await _read_capped(answer),
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except aiohttp.ClientError as exc:
            raise as_httpx_error(exc) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc

    async def __aenter__(self) -> AiohttpTransport:
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _read_capped(answer: aiohttp.ClientResponse) -> bytes:
    chunks, size = [], 0
    async for chunk in answer.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise httpx.RemoteProtocolError(f"The answer is larger than {MAX_ANSWER_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def as_httpx_error(exc: aiohttp.ClientError) -> httpx.TransportError:
    """The httpx exception for an aiohttp failure, most specific first."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, no route, DNS, TLS handshake
        return httpx.ConnectError(message)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(message)
    # Disconnected mid-answer, or an answer that is not HTTP.
    return httpx.RemoteProtocolError(message)

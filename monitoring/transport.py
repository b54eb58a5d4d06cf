"""The sweep's HTTP transport: httpx requests and responses, carried by aiohttp.

A sweep sends thousands of status calls a minute from one worker process. httpx's own async
transport (httpcore, h11 and anyio, all pure Python) spent about 0.55 ms of CPU on each; aiohttp's
C parser and connection pool carry the same call for about 0.3 ms, and that difference is what
lets one worker sweep 1,000 connections a second on two cores. The poller still speaks httpx:
`httpx.Request` in, a fully read `httpx.Response` out, and every failure raised as the httpx
exception it corresponds to, so `client.transport_failure` classifies it as for any transport.
"""

from __future__ import annotations

import ssl

import aiohttp
import httpx
from yarl import URL

# A status answer is a few hundred bytes; an upstream streaming more than this is broken, and the
# worker must not hold it in memory.
MAX_ANSWER_BYTES = 1024 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Up to `max_connections` keep-alive connections shared by every call sent through it.

    Use it as an async context manager (or `aclose()` it), inside the event loop that sends.
    """

    def __init__(self, *, max_connections: int, verify: ssl.SSLContext | bool = True):
        self._max_connections = max_connections
        self._ssl: ssl.SSLContext | bool = verify
        self._session: aiohttp.ClientSession | None = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl)
            # No trust_env: it looks up proxies and .netrc in a thread on every call, which cost
            # as much as the call. auto_decompress off: httpx decodes by Content-Encoding.
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.send(
            request.method,
            str(request.url),  # httpx has already encoded it
            request.headers.multi_items(),
            content=request.content or None,
            timeout=request.extensions.get("timeout", {}),
            request=request,
        )

    async def send(
        self,
        method: str,
        url: str,
        headers,
        *,
        content: bytes | None = None,
        timeout: dict,
        request: httpx.Request | None = None,
    ) -> httpx.Response:
        """One call to an already percent-encoded URL, with httpx's timeout dict.

        The sweep calls this directly: building an `httpx.Request` (its URL parser is pure
        Python) was a fifth of the worker's CPU per status call.
        """
        try:
            async with self._client_session().request(
                method,
                URL(url, encoded=True),
                headers=headers,
                data=content,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
            ) as answer:
                body = await _read_capped(answer, request)
                return httpx.Response(
                    answer.status,
                    headers=answer.raw_headers,
                    content=body,
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except aiohttp.ClientError as exc:
            raise as_httpx_error(exc, request) from exc
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


async def _read_capped(answer: aiohttp.ClientResponse, request: httpx.Request | None) -> bytes:
    chunks, size = [], 0
    async for chunk in answer.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise httpx.RemoteProtocolError(
                f"The answer is larger than {MAX_ANSWER_BYTES} bytes.", request=request
            )
        chunks.append(chunk)
    return b"".join(chunks)


def as_httpx_error(exc: aiohttp.ClientError, request: httpx.Request | None) -> httpx.TransportError:
    """The httpx exception for an aiohttp failure, most specific first."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, no route, DNS, TLS handshake
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(message, request=request)
    # Disconnected mid-answer, or an answer that is not HTTP.
    return httpx.RemoteProtocolError(message, request=request)

"""Malformed input is refused at the door, with a 400 that says what was wrong.

One mechanism for the whole class of problem, in front of every view (tests/test_bad_input_urls.py
walks every URL pattern to prove it): a NUL character, which PostgreSQL refuses in text; bytes
that are not UTF-8; a query value longer than any page sends; JSON nested deeper than any real
document, which would exhaust Python's recursion limit in `json.loads` or in the code that walks
the result; JSON escapes for a NUL or half a surrogate pair, which decode to text no database
takes. Code that parses JSON from elsewhere (an uploaded file, a webhook body) uses `load_json`.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

MAX_QUERY_VALUE_LENGTH = 2_000
MAX_JSON_DEPTH = 64

_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_JSON_ESCAPE = re.compile(rb"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedInput(ValueError):
    """Input refused before use; the message is for the person or program that sent it."""


def load_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH):
    """`json.loads` for JSON from outside: MalformedInput (a ValueError) for what cannot be used."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    check_json(data, max_depth=max_depth)
    try:
        return json.loads(data)
    except RecursionError as exc:  # unreachable within MAX_JSON_DEPTH, kept as a last guard
        raise MalformedInput("The JSON is nested too deeply.") from exc


def check_json(data: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON that is not UTF-8, nests deeper than `max_depth`, or escapes to bad text.

    Works on the raw bytes, without parsing: strings are cut out first, so brackets inside them
    do not count, then the depth is the running count of the brackets left.
    """
    check_text(data, "The JSON")
    depth = deepest = 0
    for bracket in _JSON_STRING.sub(b'""', data).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    if deepest > max_depth:
        raise MalformedInput(f"The JSON is nested {deepest} levels deep; at most {max_depth}.")
    if b"\\" in data:
        _check_json_escapes(data)


def _check_json_escapes(data: bytes) -> None:
    half = "The JSON holds half of a UTF-16 surrogate pair"
    high_ended_at = None  # where the last escape ended, if it was a high surrogate
    for match in _JSON_ESCAPE.finditer(data):
        escape = match.group(1)
        code = int(escape[1:], 16) if len(escape) == 5 and escape[:1] == b"u" else None
        is_low = code is not None and 0xDC00 <= code <= 0xDFFF
        if high_ended_at is not None:
            if not (is_low and match.start() == high_ended_at):
                raise MalformedInput(f"{half} (\\ud800).")
            high_ended_at = None
            continue
        if code == 0:
            raise MalformedInput("The JSON holds a NUL character (\\u0000).")
        if is_low:
            raise MalformedInput(f"{half} (\\udc00).")
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high_ended_at = match.end()
    if high_ended_at is not None:
        raise MalformedInput(f"{half} (\\ud800).")


def check_text(data: bytes, what: str) -> None:
    if b"\x00" in data:
        raise MalformedInput(f"{what} holds a NUL character.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInput(f"{what} holds bytes that are not UTF-8 text.") from None


def check_value(
    name: str, value: str, *, max_length: int | None = None, decoded_leniently: bool = True
) -> None:
    """One field or parameter: no NUL, within `max_length`. A multipart field was decoded by
    Django with bytes that are not UTF-8 turned into U+FFFD, which is all that is left to see."""
    label = _label(name)
    if "\x00" in name or "\x00" in value:
        raise MalformedInput(f"{label} holds a NUL character.")
    if decoded_leniently and ("\ufffd" in name or "\ufffd" in value):
        raise MalformedInput(f"{label} holds bytes that are not UTF-8 text.")
    if max_length is not None and len(value) > max_length:
        raise MalformedInput(f"{label} is {len(value):,} characters long; at most {max_length:,}.")


def check_urlencoded(raw: bytes, *, max_length: int | None) -> None:
    """A query string or a form body as sent: every name and value, decoded strictly."""
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        try:
            name_text = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8")
            value_text = unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedInput(
                f"{_label(name.decode('ascii', 'replace'))} holds bytes that are not UTF-8 text."
            ) from None
        check_value(name_text, value_text, max_length=max_length, decoded_leniently=False)


def _label(name: str) -> str:
    shown = name.replace("\x00", "\\0")
    return f"The field {shown[:40]!r}" if shown else "A field"


def problem_with(request) -> str:
    """What is wrong with the request's path, headers, query string or body; "" if nothing."""
    try:
        if "\x00" in request.path:
            raise MalformedInput("The address holds a NUL character.")
        for key, value in request.META.items():
            if key.startswith("HTTP_") and "\x00" in value:
                raise MalformedInput(f"The {key[5:].replace('_', '-').title()} header holds a NUL.")
        query = request.META.get("QUERY_STRING", "").encode("iso-8859-1", "replace")
        check_urlencoded(query, max_length=MAX_QUERY_VALUE_LENGTH)
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            _check_body(request)
    except MalformedInput as refused:
        return str(refused)
    except RequestDataTooBig:
        return (
            "The request body is too large: at most "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes are accepted."
        )
    except (MultiPartParserError, SuspiciousOperation, BadRequest):
        return "The request body is not a well-formed form."
    return ""


def _check_body(request) -> None:
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        # Read whole first (within DATA_UPLOAD_MAX_MEMORY_SIZE), so a view may still read the
        # body after the fields were parsed from it here.
        request.body  # noqa: B018
        for name, values in request.POST.lists():
            for value in values:
                check_value(name, value)
        return
    body = request.body
    if content_type == "application/x-www-form-urlencoded":
        check_urlencoded(body, max_length=None)
    elif content_type.endswith(("/json", "+json")) or body.lstrip()[:1] in (b"{", b"["):
        check_json(body)
    elif body:
        check_text(body, "The request body")


def wants_json(request) -> bool:
    """JSON for a JSON body or a client that does not ask for HTML (an API client, curl); a page
    for browsers and htmx."""
    content_type = request.content_type or ""
    if content_type.endswith(("/json", "+json")):
        return True
    return "HX-Request" not in request.headers and "text/html" not in request.headers.get(
        "Accept", ""
    )


def bad_request(request, message: str):
    if wants_json(request):
        return JsonResponse(
            {"errors": [{"code": "bad_request", "message": message, "field": ""}]}, status=400
        )
    return render(request, "400.html", {"message": message}, status=400)


class MalformedInputMiddleware:
    """Answer 400 to a request with malformed input, before any view (or CSRF) reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = problem_with(request)
        if problem:
            return bad_request(request, problem)
        return self.get_response(request)


def csrf_failure(request, reason: str = ""):
    """Django's CSRF refusal, as a page of ours (Django's own carries an inline style)."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)

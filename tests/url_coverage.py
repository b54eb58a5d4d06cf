"""Every URL pattern must be requested successfully at least once in a full run (Zulip's
`instrument_url`, the positive half of tests/test_tenancy_urls.py's foreign-id walk).

Each response Django's handler gives, to the test client or the live server of a browser test, is
noted by the name of the URL pattern that answered it. At the end of a full run (no paths, no
-k or -m), a pattern that never answered 2xx or 3xx fails the run and is named. With xdist each
worker writes what it saw to a folder the controller reads at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from django.core.handlers.base import BaseHandler

# Patterns whose own permission system is tested elsewhere (Django's admin site).
UNCHECKED_NAMESPACES = {"admin"}
# Patterns that answer 404 by design: django-ninja's docs index, off because its Swagger UI would
# load from a CDN (the schema itself, openapi-json, is served and tested).
NOT_FOUND_BY_DESIGN = {"mappings-api:api-root"}

# Requests of the bad-input walk (tests/test_bad_input_urls.py) carry this header: a page
# answering 200 to garbage there is not a test of that page, so it is not counted here.
WALK_HEADER = "HTTP_X_PATCHBAY_INPUT_WALK"

_answered: set[str] = set()


def _note(request, response) -> None:
    if WALK_HEADER in request.META:
        return
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name and 200 <= response.status_code < 400:
        _answered.add(match.view_name)


def pytest_configure(config) -> None:
    original = BaseHandler.get_response

    def get_response(self, request):
        response = original(self, request)
        _note(request, response)
        return response

    BaseHandler.get_response = get_response
    if not hasattr(config, "workerinput"):
        config._url_coverage_dir = tempfile.mkdtemp(prefix="patchbay-url-coverage-")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist controller: tell each worker where to leave what it saw."""
    node.workerinput["url_coverage_dir"] = node.config._url_coverage_dir


def pytest_sessionfinish(session, exitstatus) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        folder = Path(config.workerinput["url_coverage_dir"])
        (folder / f"{config.workerinput['workerid']}.json").write_text(
            json.dumps(sorted(_answered))
        )
        return
    folder = Path(config._url_coverage_dir)
    answered = set(_answered)
    for part in folder.glob("*.json"):
        answered.update(json.loads(part.read_text()))
    if not _is_full_run(config) or exitstatus != 0:
        return
    missing = sorted(
        name
        for name, same_route in every_url_name().items()
        if name not in NOT_FOUND_BY_DESIGN and not same_route & answered
    )
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(
            "URL patterns no test requested successfully (2xx/3xx) in this run: "
            + ", ".join(missing)
            + ". Add a test where an allowed persona opens each (tests/url_coverage.py).",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _is_full_run(config) -> bool:
    if config.option.keyword or config.option.markexpr or os.environ.get("PYTEST_URL_SUBSET"):
        return False
    root = Path(config.rootpath)
    targets = [Path(arg.split("::")[0]) for arg in config.args]
    return all((root / target).resolve() in {root, root / "tests"} for target in targets)


def every_url_name() -> dict[str, set[str]]:
    """Each named pattern, with the names of every pattern of the same route and view.

    Django resolves a path to the first pattern that matches it, so names that share a route
    (django-ninja names a GET and a PUT on one path apart) are all answered as the first.
    """
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver, namespace="", prefix=""):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in UNCHECKED_NAMESPACES:
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, inner, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", prefix + str(entry.pattern)

    patterns = dict(walk(get_resolver()))
    return {
        name: {other for other, key in patterns.items() if key == route}
        for name, route in patterns.items()
    }

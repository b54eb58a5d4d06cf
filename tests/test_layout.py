"""A page's view and its tests are found from its URL (DEVELOPERS.md, "Where a page lives").

Every URL pattern of the apps is served by a view in `<app>/views/<family>.py`, and that family's
view tests are in `tests/<app>/views/test_<family>.py`.
"""

from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[1]
APPS = {"connections", "monitoring", "mappings"}
# Namespaces with a layout of their own: Django's admin, the mapping API (mappings/api.py,
# tested in tests/mappings/test_api.py).
OWN_LAYOUT = {"admin", "mappings-api"}


def app_patterns(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace not in OWN_LAYOUT:
                yield from app_patterns(entry)
        elif isinstance(entry, URLPattern):
            module = entry.callback.__module__
            if module.split(".")[0] in APPS:
                yield entry, module


def test_every_page_has_its_view_module_and_test_file():
    wrong = []
    for pattern, module in app_patterns():
        app, *rest = module.split(".")
        if len(rest) != 2 or rest[0] != "views":
            wrong.append(f"{pattern.name}: view in {module}, not {app}.views.<family>")
            continue
        tests = ROOT / "tests" / app / "views" / f"test_{rest[1]}.py"
        if not tests.exists():
            wrong.append(f"{pattern.name}: no {tests.relative_to(ROOT)}")
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_the_apps_pages():
    modules = {module for _, module in app_patterns()}
    assert {"monitoring.views.overview", "connections.views.tokens"} <= modules

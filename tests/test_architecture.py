"""Rules of the code's shape that a reviewer would otherwise have to remember.

The apps' layers are checked by import-linter in `make lint` (pyproject's [tool.importlinter]).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ["config", "connections", "health", "mappings", "monitoring", "sandbox", "upstream"]
# The steps of a health write that only `monitoring/transitions.py` may take.
ONE_WRITER_CALLS = {("issues", "record"), ("notifications", "after_transitions")}


def source_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def calls_in(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                yield owner.id, node.func.attr


def test_only_transitions_records_issues_and_notices():
    callers = {
        str(path.relative_to(ROOT))
        for path in source_files()
        for call in calls_in(path)
        if call in ONE_WRITER_CALLS
    }
    assert callers == {"monitoring/transitions.py"}


def test_the_walk_sees_the_apps():
    assert any(path.name == "transitions.py" for path in source_files())

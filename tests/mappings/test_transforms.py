"""The transform vocabulary: which source wins, and a transform in words."""

import pytest

from mappings.transforms import KEYS, shape_errors, source_kind, summary, winner_note


@pytest.mark.parametrize(
    ("path", "transform", "kind", "note"),
    [
        ("a", {}, "path", ""),
        ("", {"join": ["a", "b"]}, "join", ""),
        ("a", {"join": ["a", "b"]}, "join", "The join is used; the source path is ignored."),
        ("a", {"constant": 1}, "constant", "The constant is used; the source path is ignored."),
        (
            "a",
            {"constant": 1, "join": ["b"]},
            "constant",
            "The constant is used; the join and the source path are ignored.",
        ),
        ("", {}, "", ""),
    ],
)
def test_one_source_wins_and_the_row_says_which(path, transform, kind, note):
    assert source_kind(path, transform) == kind
    assert winner_note(path, transform) == note


def test_a_summary_names_every_option_set():
    transform = {"cast": "date", "format": "%Y", "value_map": {"A": "x"}, "default": 0}
    assert summary(transform) == "as date, format %Y, map A→x, default 0"


def test_shapes_are_checked_option_by_option():
    assert shape_errors({"cast": 1, "join": "a", "value_map": [], "default": {}, "colour": 1}) == [
        f"Unknown transform options: colour (known: {', '.join(KEYS)}).",
        "cast must be a string.",
        "join must be a list of paths.",
        "value_map must be an object of raw value to unified value.",
        "default must be a single value, not an object or a list.",
    ]

"""The engine, table by table: every transform, path form and problem, on plain dicts."""

import pytest

from mappings.engine import Rule, compile_mapping
from mappings.paths import PathError, parse_path


def run(rules, record, entity="vendor"):
    return compile_mapping(entity, [Rule("id", "id"), Rule("name", "name"), *rules])(record)


def custom(path="", **transform):
    return Rule("extra", path, transform, origin="custom")


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("a", ["a"]),
        ("a.b.c", ["a", "b", "c"]),
        ("lines[0].material", ["lines", 0, "material"]),
        ("lines[*].material", ["lines", "*", "material"]),
        ("grid[1][2]", ["grid", 1, 2]),
    ],
)
def test_paths_parse(path, steps):
    assert parse_path(path) == steps


@pytest.mark.parametrize("path", ["", "a..b", "a[x]", "a[1", ".a", "a]"])
def test_bad_paths_are_refused(path):
    with pytest.raises(PathError):
        parse_path(path)


RECORD = {
    "id": 7,
    "name": "Nordic Sensors",
    "info": {"country": {"code": "SE"}},
    "lines": [{"material": "M-1", "qty": "2"}, {"material": "M-2"}],
    "flags": ["a", "b"],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("info.country.code", "SE"),
        ("lines[1].material", "M-2"),
        ("lines[*].material", ["M-1", "M-2"]),
        ("lines[*].qty", ["2", None]),
        ("flags[0]", "a"),
        ("info.country", {"code": "SE"}),
    ],
)
def test_custom_fields_read_nested_objects_and_list_items(path, expected):
    record, problems = run([custom(path)], RECORD)
    assert record["extra"] == expected
    assert problems == []


@pytest.mark.parametrize("path", ["nope", "info.nope.code", "lines[5].material", "name.first"])
def test_a_missing_path_is_a_problem_and_the_record_is_kept(path):
    record, problems = run([custom(path)], RECORD)
    assert record == {"id": "7", "name": "Nordic Sensors", "extra": None}
    assert problems == [
        {"field": "extra", "code": "missing_path", "message": f"{path} is not in the record"}
    ]


@pytest.mark.parametrize(
    ("cast", "raw", "expected"),
    [
        ("string", 42, "42"),
        ("string", True, "true"),
        ("integer", "00010", 10),
        ("integer", 12.0, 12),
        ("integer", " 7 ", 7),
        ("decimal", "1250.00", "1250"),
        ("decimal", 9.9, "9.9"),
        ("decimal", "0.000", "0"),
        ("decimal", 3, "3"),
        ("decimal", "00010.500", "10.5"),
        ("decimal", "120.", "120"),
        ("decimal", "-1.50", "-1.5"),
        ("decimal", " 7.10 ", "7.1"),
        ("decimal", "1.5E+3", "1500"),
        ("integer", 7, 7),
        ("integer", "-12", -12),
        ("integer", "12.000", 12),
        ("boolean", "X", True),
        ("boolean", "", False),
        ("boolean", 0, False),
        ("boolean", "yes", True),
        ("date", "2026-11-02", "2026-11-02"),
        ("date", "2026-11-02T23:30:00-05:00", "2026-11-02"),
        ("datetime", "2026-11-20T03:00:00-05:00", "2026-11-20T08:00:00Z"),
        ("datetime", "2026-11-20T08:00:00.000Z", "2026-11-20T08:00:00Z"),
        ("datetime", "2026-11-20", "2026-11-20T00:00:00Z"),
        ("datetime", "2026-11-20T08:00:00", "2026-11-20T08:00:00Z"),
    ],
)
def test_casts(cast, raw, expected):
    record, problems = run([custom("value", cast=cast)], {"id": 1, "name": "n", "value": raw})
    assert problems == []
    assert record["extra"] == expected


@pytest.mark.parametrize(
    ("cast", "raw"),
    [
        ("integer", "12.5"),
        ("integer", True),
        ("integer", "ten"),
        ("decimal", "1,5"),
        ("decimal", "NaN"),
        ("decimal", "1e999999"),
        ("decimal", False),
        ("boolean", "maybe"),
        ("boolean", 2),
        ("date", "02/11/2026"),
        ("datetime", "yesterday"),
        ("string", {"a": 1}),
    ],
)
def test_a_failed_cast_is_a_problem_not_a_crash(cast, raw):
    record, problems = run([custom("value", cast=cast)], {"id": 1, "name": "n", "value": raw})
    assert record["extra"] is None
    assert record["name"] == "n"
    assert [p["code"] for p in problems] == ["cast_failed"]
    assert problems[0]["field"] == "extra"


@pytest.mark.parametrize(
    ("fmt", "raw", "cast", "expected"),
    [
        ("%Y%m%d", "20261102", "date", "2026-11-02"),
        ("%Y%m%d", 20261102, "date", "2026-11-02"),
        ("%Y%m%d", " 20261102", "date", "2026-11-02"),
        ("%m/%d/%Y", "11/02/2026", "date", "2026-11-02"),
        ("%d.%m.%Y %H:%M", "20.11.2026 08:00", "datetime", "2026-11-20T08:00:00Z"),
        ("epoch_ms", 1763625600000, "datetime", "2025-11-20T08:00:00Z"),
        ("epoch_s", 1763625600, "date", "2025-11-20"),
    ],
)
def test_date_formats(fmt, raw, cast, expected):
    rule = custom("value", cast=cast, format=fmt)
    record, problems = run([rule], {"id": 1, "name": "n", "value": raw})
    assert (record["extra"], problems) == (expected, [])


@pytest.mark.parametrize("raw", ["20261302", "2026-11-02", "2026110", "", "abcdefgh"])
def test_a_date_in_the_wrong_format_is_a_cast_problem(raw):
    rule = custom("value", cast="date", format="%Y%m%d")
    record, problems = run([rule], {"id": 1, "name": "n", "value": raw})
    assert record["extra"] is None
    assert [p["code"] for p in problems] == ["cast_failed"]


def test_a_date_with_a_strptime_format_is_checked_too():
    rule = custom("value", cast="date", format="%Y%m%d")
    record, problems = run([rule], {"id": 1, "name": "n", "value": "2026-11-02"})
    assert record["extra"] is None
    assert problems[0]["code"] == "cast_failed"


def test_value_map_maps_then_casts_and_reports_what_it_cannot_map():
    rule = custom("flag", value_map={"X": "true", "": "false", "1": "true"}, cast="boolean")
    mapping = compile_mapping("vendor", [Rule("id", "id"), rule])
    assert mapping({"id": 1, "flag": "X"}) == ({"id": "1", "extra": True}, [])
    assert mapping({"id": 1, "flag": ""}) == ({"id": "1", "extra": False}, [])
    assert mapping({"id": 1, "flag": 1}) == ({"id": "1", "extra": True}, [])
    record, problems = mapping({"id": 1, "flag": "Y"})
    assert record["extra"] is None
    assert problems == [
        {"field": "extra", "code": "unmapped_value", "message": "'Y' is not in the value map"}
    ]


def test_an_enum_outside_its_choices_is_a_problem():
    mapping = compile_mapping("asset", [Rule("status", "state")])
    assert mapping({"state": "down"}) == ({"status": "down"}, [])
    record, problems = mapping({"state": "exploded"})
    assert record == {"status": None}
    assert problems[0]["code"] == "not_in_enum"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"id": 1}, "Net 30"),
        ({"id": 1, "terms": None}, "Net 30"),
        ({"id": 1, "terms": "Net 60"}, "Net 60"),
    ],
)
def test_default_fills_missing_and_null_values(record, expected):
    rule = Rule("payment_terms", "terms", {"default": "Net 30"})
    output, problems = compile_mapping("vendor", [rule])(record)
    assert (output, problems) == ({"payment_terms": expected}, [])


def test_constant_ignores_the_record():
    rule = Rule("country", "", {"constant": "DE"})
    assert compile_mapping("vendor", [rule])({}) == ({"country": "DE"}, [])


@pytest.mark.parametrize(
    ("record", "expected", "codes"),
    [
        ({"first": "Ada", "last": "Lovelace"}, "Ada Lovelace", []),
        ({"first": "Ada"}, "Ada", []),
        ({"first": "Ada", "last": None}, "Ada", []),
        ({"first": 7, "last": True}, "7 true", []),
        ({}, None, ["missing_path"]),
    ],
)
def test_join_of_several_paths(record, expected, codes):
    rule = Rule("name", "", {"join": ["first", "last"], "separator": " "})
    output, problems = compile_mapping("vendor", [rule])(record)
    assert output == {"name": expected}
    assert [p["code"] for p in problems] == codes


def test_a_required_field_that_is_null_is_reported():
    output, problems = compile_mapping("vendor", [Rule("name", "name")])({"name": None})
    assert output == {"name": None}
    assert problems[0] == {
        "field": "name",
        "code": "missing_value",
        "message": "a required value is empty",
    }


def test_list_of_objects_maps_each_item_and_names_the_item_in_problems():
    rules = [
        Rule("lines", "items"),
        Rule("lines.line_number", "items[*].pos"),
        Rule("lines.quantity", "items[*].qty"),
        Rule("lines.material", "items[*].part.code"),
    ]
    mapping = compile_mapping("purchase_order", rules)
    raw = {
        "items": [{"pos": "10", "qty": "2.50", "part": {"code": "M-1"}}, {"pos": 20, "qty": "x"}]
    }
    output, problems = mapping(raw)
    assert output == {
        "lines": [
            {"line_number": 10, "quantity": "2.5", "material": "M-1"},
            {"line_number": 20, "quantity": None, "material": None},
        ]
    }
    assert [(p["field"], p["code"]) for p in problems] == [
        ("lines[1].material", "missing_path"),
        ("lines[1].quantity", "cast_failed"),
    ]


def test_a_list_field_that_is_not_a_list_is_a_problem():
    output, problems = compile_mapping("purchase_order", [Rule("lines", "items")])({"items": 3})
    assert output == {"lines": None}
    assert problems[0]["code"] == "not_a_list"


def test_switched_off_and_unmapped_fields_are_left_out():
    rules = [
        Rule("id", "id"),
        Rule("name", "name", enabled=False),
        Rule("email", origin="unmapped"),
    ]
    assert compile_mapping("vendor", rules)({"id": 1, "name": "x"}) == ({"id": "1"}, [])


def test_fan_out_custom_field_casts_each_element():
    rule = custom("lines[*].qty", cast="decimal")
    record, problems = run([rule], {"id": 1, "name": "n", "lines": [{"qty": "1.50"}, {}]})
    assert record["extra"] == ["1.5", None]
    assert problems == []


def test_a_record_that_is_not_an_object_is_answered_with_a_problem():
    mapping = compile_mapping("vendor", [Rule("id", "id")])
    assert mapping(["not", "a", "record"]) == (
        {},
        [{"field": "", "code": "not_an_object", "message": "a record must be a JSON object"}],
    )


def test_many_keeps_order_and_every_record():
    mapping = compile_mapping("vendor", [Rule("id", "id")])
    results = mapping.many([{"id": 1}, {}, {"id": "c"}])
    assert [r["record"] for r in results] == [{"id": "1"}, {"id": None}, {"id": "c"}]
    assert [len(r["problems"]) for r in results] == [0, 1, 0]


@pytest.mark.parametrize(
    ("rule", "raw", "message"),
    [
        (custom("value", cast="decimal"), "lots", "'lots' is not a decimal number"),
        (custom("value", cast="integer"), "12.5", "'12.5' is not a whole number"),
        (
            custom("value", cast="date", format="%d/%m/%Y"),
            "2026-11-26",
            "'2026-11-26' does not match the date format %d/%m/%Y",
        ),
        (
            custom("value", cast="date", format="%Y%m%d"),
            "20261340",
            "'20261340' is not a date on the calendar",
        ),
        (
            custom("value", cast="boolean"),
            "maybe",
            "'maybe' is not a yes or no (true/false, yes/no, 1/0, X)",
        ),
        (
            custom("value", cast="datetime"),
            "soon",
            "'soon' is not a date and time in ISO 8601 (2026-11-02, 2026-11-02T08:00Z)",
        ),
    ],
)
def test_problems_are_sentences_not_python_errors(rule, raw, message):
    _, problems = run([rule], {"id": 1, "name": "n", "value": raw})
    assert [p["message"] for p in problems] == [message]
    assert "<class" not in message and "directive" not in message


def test_a_join_of_an_object_is_a_problem_not_a_crash():
    rule = Rule("name", "", {"join": ["first", "info"], "separator": " "})
    output, problems = compile_mapping("vendor", [rule])({"first": "Ada", "info": {"a": 1}})
    assert output == {"name": None}
    assert [p["code"] for p in problems] == ["cast_failed"]


def test_a_mapping_compiles_once_per_set_of_rules():
    rules = [Rule("id", "id"), Rule("name", "name")]
    first = compile_mapping("vendor", rules)
    assert compile_mapping("vendor", [Rule("id", "id"), Rule("name", "name")]) is first
    assert compile_mapping("vendor", [Rule("id", "id"), Rule("name", "label")]) is not first
    assert first.source.startswith("def mapping(r")


def test_repeated_text_converts_the_same_as_new_text():
    rule = custom("value", cast="decimal")
    mapping = compile_mapping("vendor", [Rule("id", "id"), rule])
    for _ in range(3):
        assert mapping({"id": 1, "value": "0040.500"}) == ({"id": "1", "extra": "40.5"}, [])
        record, problems = mapping({"id": 1, "value": "4O.5"})
        assert record["extra"] is None and problems[0]["code"] == "cast_failed"


@pytest.mark.parametrize("key", ["x'); __import__('os'); ('", 'x"""', "\\", "é", "a\nb", "{r}"])
def test_any_key_or_path_text_is_read_as_a_key_never_as_code(key):
    rule = Rule("extra", key, {}, origin="custom")
    mapping = compile_mapping("vendor", [Rule("id", "id"), rule])
    assert mapping({"id": 1, key: "v"}) == ({"id": "1", "extra": "v"}, [])

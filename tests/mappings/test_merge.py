"""Three-way merge of two edits of one mapping, field by field, as a table."""

import pytest

from mappings.merge import three_way

A = {"path": "a", "transform": {}, "enabled": True}
B = {"path": "b", "transform": {}, "enabled": True}
C = {"path": "c", "transform": {}, "enabled": True}


def spec(**overrides):
    return {"overrides": overrides, "custom_fields": []}


@pytest.mark.parametrize(
    ("base", "theirs", "mine", "merged", "conflicts"),
    [
        (spec(), spec(x=A), spec(y=B), spec(x=A, y=B), []),  # different fields: both kept
        (spec(x=A), spec(x=B), spec(x=A), spec(x=B), []),  # only they changed it
        (spec(x=A), spec(x=A), spec(x=C), spec(x=C), []),  # only I changed it
        (spec(x=A), spec(x=B), spec(x=B), spec(x=B), []),  # both, the same way
        (spec(x=A), spec(), spec(x=A, y=B), spec(y=B), []),  # they reset x, I added y
        (spec(x=A), spec(x=B), spec(x=C), spec(x=C), ["x"]),  # both, differently: ask
        (spec(x=A), spec(), spec(x=C), spec(x=C), ["x"]),  # they reset, I changed: ask
    ],
)
def test_merge_table(base, theirs, mine, merged, conflicts):
    result = three_way(base, theirs, mine)
    assert [conflict.key for conflict in result.conflicts] == conflicts
    assert result.spec == merged


def test_a_resolution_settles_a_conflict_either_way():
    base, theirs, mine = spec(x=A), spec(x=B), spec(x=C)
    assert three_way(base, theirs, mine, {"x": "theirs"}).spec == spec(x=B)
    assert three_way(base, theirs, mine, {"x": "mine"}).spec == spec(x=C)


def test_custom_fields_merge_by_name():
    plant = {"name": "plant", "path": "p", "transform": {}}
    carrier = {"name": "carrier", "path": "c", "transform": {}}
    result = three_way(
        {"custom_fields": []},
        {"custom_fields": [plant]},
        {"custom_fields": [carrier]},
    )
    assert result.is_clean
    assert result.spec["custom_fields"] == [plant, carrier]
    renamed = {**plant, "path": "q"}
    clash = three_way(
        {"custom_fields": [plant]}, {"custom_fields": []}, {"custom_fields": [renamed]}
    )
    assert [c.key for c in clash.conflicts] == ["custom: plant"]

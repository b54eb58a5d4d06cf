"""Validation: what the editor shows as you type and what every save refuses."""

import pytest

from mappings import catalogs
from mappings.engine import Rule
from mappings.spec import EMPTY_SPEC, effective_rules
from mappings.validation import validate, validate_spec

CATALOG = catalogs.catalog("sandbox", "purchase_order")


def errors_with(*changed: Rule) -> dict:
    by_key = {rule.key: rule for rule in changed if not rule.is_custom}
    rules = [by_key.get(rule.key, rule) for rule in effective_rules(CATALOG, EMPTY_SPEC)]
    return validate(CATALOG, rules + [rule for rule in changed if rule.is_custom])


def custom(name, path="id", **transform):
    return Rule(name, path, transform, origin="custom")


def test_the_defaults_are_valid():
    assert errors_with() == {}


@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        (Rule("vendor_id", "supplier.nope"), "vendor_id", "supplier.nope is not in the"),
        (Rule("vendor_id", "supplier..id"), "vendor_id", "is not a path"),
        (Rule("total", "supplier"), "total", "A object source cannot become a decimal."),
        (Rule("order_date", "po_number"), "order_date", "needs a date format"),
        (Rule("order_date", "amount_total"), "order_date", "epoch_ms"),
        (Rule("lines", "currency"), "lines", "cannot fill a list field"),
        (
            Rule("vendor_id", "items[*].material"),
            "vendor_id",
            "A list source cannot fill a string field",
        ),
        (Rule("lines.material", "supplier.id"), "lines.material", "starts with items[*]."),
        (Rule("number", "po_number", enabled=False), "number", "This field is required"),
        (Rule("number", origin="unmapped"), "number", "This field is required"),
        (
            Rule("status", "state", {"value_map": {"A": "accepted"}}),
            "status",
            "Value map line 1 (A = accepted): 'accepted' is not one of draft, open",
        ),
        (Rule("order_date", "ordered_on", {"format": "yyyy"}), "order_date", "has no date codes"),
        (
            Rule("order_date", "ordered_on", {"format": "%Y-%Q"}),
            "order_date",
            "%Q is not a date code: use %Y year, %m month",
        ),
        (Rule("vendor_id", "supplier.nme"), "vendor_id", "Did you mean supplier.name?"),
        (Rule("vendor_id", "Supplier.ID"), "vendor_id", "Did you mean supplier.id?"),
        (
            Rule("vendor_id", "vendr_id"),
            "vendor_id",
            "vendr_id is not in the purchase order catalog. Did you mean supplier.id? "
            "(Sandbox sends vendor_id as supplier.id.)",
        ),
        (
            Rule("number", "po_number", enabled=False),
            "number",
            "it cannot be left out of the output",
        ),
        (Rule("vendor_id", "supplier.id", {"format": "%Y"}), "vendor_id", "only applies"),
        (
            Rule("total", "", {"constant": "lots"}),
            "total",
            "The constant 'lots' does not fit: 'lots' is not a decimal number.",
        ),
        (Rule("approved", "approved", {"default": "perhaps"}), "approved", "The default"),
        (Rule("status", "", {"constant": "lost"}), "status", "is not one of"),
        (Rule("vendor_id", "supplier.id", {"cast": "colour"}), "vendor_id", "not a type"),
        (Rule("vendor_id", "", {"join": ["supplier.id", "nope"]}), "vendor_id", "nope is not"),
    ],
)
def test_errors_name_the_field_and_say_what_is_wrong(rule, key, message):
    errors = errors_with(rule)
    assert key in errors
    assert set(errors) - {key} <= {k for k in errors if k.startswith(f"{key}.")}
    assert any(message in text for text in errors[key]), errors


def test_item_fields_of_a_switched_off_list_are_not_checked():
    assert errors_with(Rule("lines", "items", enabled=False), Rule("lines.quantity", "nope")) == {}


def test_a_compatible_override_with_a_format_is_valid():
    assert errors_with(Rule("order_date", "updated_at"), Rule("total", "amount_total")) == {}
    assert errors_with(Rule("expected_at", "updated_at", {"format": "%Y-%m-%dT%H:%M:%SZ"})) == {}


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([custom("Plant")], "lower case letters"),
        ([custom("1plant")], "lower case letters"),
        ([custom("number")], "already a unified field"),
        ([custom("problems")], "is reserved"),
        ([custom("plant"), custom("plant", "currency")], "already called 'plant'"),
        ([custom("plant", "")], "needs a source path"),
        ([custom("plant", "custom.nope")], "custom.nope is not in the"),
    ],
)
def test_custom_field_names_are_unique_well_formed_and_not_reserved(rules, message):
    errors = errors_with(*rules)
    assert any(message in text for texts in errors.values() for text in texts), errors


def test_valid_custom_fields_pass():
    assert (
        errors_with(
            custom("plant_section", "custom.plant_section"),
            custom("materials", "items[*].material"),
            custom("first_cost_center", "items[0].custom.cost_center"),
            custom("source_system", "", constant="sandbox"),
        )
        == {}
    )


def test_a_spec_overriding_an_unknown_field_is_refused():
    spec = {"overrides": {"colour": {"path": "id", "transform": {}, "enabled": True}}}
    assert validate_spec(CATALOG, spec) == {"colour": ["A purchase order has no field 'colour'."]}
    spec = {"overrides": {"vendr_id": {"path": "id", "transform": {}, "enabled": True}}}
    assert validate_spec(CATALOG, spec) == {
        "vendr_id": ["A purchase order has no field 'vendr_id'. Did you mean vendor_id?"]
    }

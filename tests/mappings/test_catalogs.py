"""Every supported system's catalog: its defaults turn its samples into the canonical records."""

import pytest

from connections.systems import System
from mappings import catalogs, unified
from mappings.catalogs import canonical
from mappings.spec import EMPTY_SPEC, effective_rules
from mappings.validation import validate

PAIRS = [(system, entity) for system in catalogs.SUPPORTED_SYSTEMS for entity in unified.ENTITIES]


def test_every_system_a_connection_can_have_is_supported():
    assert set(catalogs.SUPPORTED_SYSTEMS) == set(System.values)


@pytest.mark.parametrize(("system", "entity"), PAIRS)
def test_defaults_map_every_sample_to_its_canonical_record(system, entity):
    catalog = catalogs.catalog(system, entity)
    mapping = effective_rules(catalog, EMPTY_SPEC)
    from mappings.engine import compile_mapping

    compiled = compile_mapping(entity, mapping)
    assert len(catalog.samples) >= 3
    for sample, expected in zip(catalog.samples, canonical.RECORDS[entity], strict=True):
        assert compiled(sample) == (expected, [])


@pytest.mark.parametrize(("system", "entity"), PAIRS)
def test_defaults_cover_every_unified_field_and_pass_validation(system, entity):
    catalog = catalogs.catalog(system, entity)
    assert set(catalog.defaults) == set(unified.entity(entity).keys())
    assert validate(catalog, effective_rules(catalog, EMPTY_SPEC)) == {}


@pytest.mark.parametrize(("system", "entity"), PAIRS)
def test_catalog_lists_paths_with_types_read_only_and_custom_fields(system, entity):
    catalog = catalogs.catalog(system, entity)
    assert all(default["path"] in catalog.fields for default in catalog.defaults.values())
    assert any(field.read_only for field in catalog.fields.values())
    assert any(field.custom for field in catalog.fields.values())
    assert {field.type for field in catalog.fields.values()} <= {
        "string",
        "integer",
        "decimal",
        "boolean",
        "date",
        "datetime",
        "list",
        "object",
    }


def test_sap_spells_records_the_sap_way():
    sample = catalogs.catalog("sap_s4hana", "purchase_order").samples[0]
    assert sample["PurchaseOrderDate"] == "20261102"
    assert sample["ReleaseIsCompleted"] == "X"
    assert sample["to_PurchaseOrderItem"]["results"][0]["PurchaseOrderItem"] == "00010"
    assert sample["to_PurchaseOrderItem"]["results"][0]["OrderQuantity"] == "24.000"
    assert (
        catalogs.catalog("sap_s4hana", "purchase_order")
        .fields["to_PurchaseOrderItem.results[*].YY1_CostCenter_PDI"]
        .custom
    )


def test_catalog_search_matches_every_word():
    catalog = catalogs.catalog("sap_s4hana", "purchase_order")
    found = [field.path for field in catalog.search("item material")]
    assert found == ["to_PurchaseOrderItem.results[*].Material"]


def test_an_unsupported_system_has_no_catalog():
    with pytest.raises(KeyError):
        catalogs.catalog("retired_erp", "asset")
    with pytest.raises(KeyError):
        catalogs.catalog("sandbox", "invoice")

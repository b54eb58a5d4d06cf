"""Mapping engine throughput against jmespath on the same mapping (issue 15: engine ≥ 10× jmespath).

100,000 SAP S/4HANA purchase orders (1 to 8 line items each, spelled natively: DATS dates,
string decimals, padded item numbers, `X` flags) go through a mapping with overrides, custom
fields and transforms: a join, a default, value maps, date formats, casts, a constant and a
fan-out over the line items.

The baseline is the same mapping expressed with jmespath: one compiled multiselect expression
per record pulls every value (joins, defaults, constants and the line items inside jmespath),
then the engine's own cast functions finish the values, so both sides do the same conversions
and the comparison is about getting values out of records. The outputs are compared first.

The engine runs as it does in production: the mapping compiled to one generated function, with
each cast's conversions of repeated text remembered (mappings/codegen.py); the baseline finishes
its values with the same cast functions called directly.
"""

from __future__ import annotations

import json
import random
import statistics

import jmespath

from benchmarks._support import report, timed
from mappings import catalogs, unified
from mappings.casts import CAST_ERRORS, make_cast, value_key
from mappings.catalogs import build_record, canonical
from mappings.catalogs.sap_s4hana import ENTITIES
from mappings.engine import Rule, compile_mapping
from mappings.paths import parse_path
from mappings.spec import effective_rules
from mappings.validation import validate_spec

SYSTEM, ENTITY = "sap_s4hana", "purchase_order"
TARGET = 10

SPEC = {
    "overrides": {
        "number": {
            "path": "",
            "transform": {
                "join": ["PurchaseOrderType", "CorrespncExternalReference"],
                "separator": "-",
            },
            "enabled": True,
        },
        "currency": {
            "path": "DocumentCurrency",
            "transform": {"default": "EUR"},
            "enabled": True,
        },
        "vendor_id": {"path": "Supplier", "transform": {"cast": "string"}, "enabled": True},
    },
    "custom_fields": [
        {"name": "plant_section", "path": "YY1_PlantSection_PDH", "transform": {}},
        {"name": "company_code", "path": "CompanyCode", "transform": {"cast": "integer"}},
        {
            "name": "created_on",
            "path": "CreationDate",
            "transform": {"cast": "date", "format": "%Y%m%d"},
        },
        {"name": "materials", "path": "to_PurchaseOrderItem.results[*].Material", "transform": {}},
        {"name": "source_system", "path": "", "transform": {"constant": "sap_s4hana"}},
    ],
}


def purchase_orders(count: int, seed: int = 6) -> list[dict]:
    """`count` SAP purchase orders varied from the canonical samples."""
    rng = random.Random(seed)
    templates = canonical.RECORDS[ENTITY]
    lines = [line for record in templates for line in record["lines"]]
    records = []
    for n in range(count):
        order = dict(rng.choice(templates))
        order["id"] = str(4500000000 + n)
        order["number"] = f"PO-{4500000000 + n}"
        order["total"] = f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}"
        order["lines"] = [
            {**rng.choice(lines), "line_number": 10 * (i + 1), "quantity": str(rng.randint(1, 500))}
            for i in range(rng.randint(1, 8))
        ]
        records.append(build_record(ENTITIES[ENTITY], order))
    return records


def jmespath_path(path: str) -> str:
    """Our path in jmespath: identifiers quoted, indexes and `[*]` as they are."""
    parts = []
    for step in parse_path(path):
        if step == "*":
            parts.append("[*]")
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(("." if parts else "") + f'"{step}"')
    return "".join(parts)


def jmespath_value(rule: Rule, relative_to: str = "") -> str:
    transform = rule.transform
    if "constant" in transform:
        return f"`{_json(transform['constant'])}`"
    if transform.get("join"):
        paths = ", ".join(jmespath_path(_relative(p, relative_to)) for p in transform["join"])
        return f"join('{transform.get('separator', ' ')}', [{paths}][?@ != null])"
    expression = jmespath_path(_relative(rule.path, relative_to))
    if "default" in transform:
        expression = f"({expression} || `{_json(transform['default'])}`)"
    return expression


def _relative(path: str, relative_to: str) -> str:
    return path[len(relative_to) + 4 :] if relative_to else path


def _json(value) -> str:
    return json.dumps(value)


def jmespath_mapping(rules: list[Rule]):
    """The mapping as one compiled jmespath expression plus the engine's casts per field."""
    entity = unified.entity(ENTITY)
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    selections, finishers = [], []
    for rule in rules:
        if not rule.enabled or not rule.has_source or unified.item_key(rule.key):
            continue
        unified_field = None if rule.is_custom else entity.by_key[rule.key]
        if unified_field is not None and unified_field.type == unified.FieldType.LIST:
            children = [
                (child.name, by_key[f"{rule.key}.{child.name}"])
                for child in unified_field.item_fields
            ]
            inner = ", ".join(
                f'"{name}": {jmespath_value(child, rule.path)}' for name, child in children
            )
            selections.append(f'"{rule.key}": {jmespath_path(rule.path)}[*].{{{inner}}}')
            item_finishers = [
                (name, finisher(child, entity.by_key[f"{rule.key}.{name}"]))
                for name, child in children
            ]
            finishers.append((rule.key, list_finisher(item_finishers)))
        else:
            selections.append(f'"{rule.key}": {jmespath_value(rule)}')
            finishers.append((rule.key, finisher(rule, unified_field)))
    expression = jmespath.compile("{" + ", ".join(selections) + "}")

    def run(raw: dict) -> dict:
        values = expression.search(raw)
        return {key: finish(values[key]) for key, finish in finishers}

    return run


def finisher(rule: Rule, unified_field):
    transform = rule.transform
    value_map = transform.get("value_map")
    cast = make_cast(
        transform.get("cast") or (unified_field.type if unified_field else None),
        transform.get("format", ""),
        unified_field.choices if unified_field else (),
    )

    def finish(value):
        if value is None:
            return None
        try:
            if value_map is not None:
                value = value_map[value_key(value)]
            return cast(value) if cast is not None else value
        except (KeyError, *CAST_ERRORS):
            return None

    return finish


def list_finisher(item_finishers):
    def finish(items):
        if items is None:
            return None
        return [{name: fn(item[name]) for name, fn in item_finishers} for item in items]

    return finish


def run(args) -> None:
    count = 10_000 if args.quick else 100_000
    repeat = 5
    catalog = catalogs.catalog(SYSTEM, ENTITY)
    assert validate_spec(catalog, SPEC) == {}, validate_spec(catalog, SPEC)
    rules = effective_rules(catalog, SPEC)
    records = purchase_orders(count)
    engine = compile_mapping(ENTITY, rules)
    baseline = jmespath_mapping(rules)

    checked = records[:2000]
    for raw in checked:
        mapped, problems = engine(raw)
        assert not problems, problems
        assert mapped == baseline(raw), (mapped, baseline(raw))
    print(f"engine and jmespath outputs agree on {len(checked):,} records", flush=True)

    def with_engine():
        for raw in records:
            engine(raw)

    def with_jmespath():
        for raw in records:
            baseline(raw)

    engine_ms: list[float] = []
    jmespath_ms: list[float] = []
    for _ in range(repeat):  # in turns, so both meet the same moments of a noisy machine
        engine_ms += timed(with_engine, 1)
        jmespath_ms += timed(with_jmespath, 1)
    report(f"engine, {count:,} purchase orders", engine_ms)
    report(f"jmespath, {count:,} purchase orders", jmespath_ms)
    engine_rate = count / (statistics.median(engine_ms) / 1000)
    jmespath_rate = count / (statistics.median(jmespath_ms) / 1000)
    print(f"engine    {engine_rate:12,.0f} records/s", flush=True)
    print(f"jmespath  {jmespath_rate:12,.0f} records/s", flush=True)
    ratio = engine_rate / jmespath_rate
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"ratio     {ratio:12.2f}x engine/jmespath ({verdict} the {TARGET}x target)", flush=True)

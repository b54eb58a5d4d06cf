"""Checks a mapping before it is saved: paths exist in the system's catalog, types fit, required
fields are mapped, custom names are unique and not reserved, transforms make sense.

The editor runs these as you type; a save, an import, a copy and the API refuse a mapping that
has any error, so no half-valid mapping is ever stored.
"""

from __future__ import annotations

import re
from collections import defaultdict

from mappings import unified
from mappings.casts import CAST_ERRORS, EPOCH_FORMATS, make_cast
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule
from mappings.paths import PathError, fans_out, parse_path
from mappings.spec import effective_rules
from mappings.unified import FieldType

CUSTOM_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")

# Which source types can become which unified type without a format or value map.
COMPATIBLE = {
    FieldType.STRING: {"string", "integer", "decimal", "boolean", "date", "datetime"},
    FieldType.INTEGER: {"integer", "decimal", "string"},
    FieldType.DECIMAL: {"integer", "decimal", "string"},
    FieldType.BOOLEAN: {"boolean", "integer", "string"},
    FieldType.DATE: {"date", "datetime"},
    FieldType.DATETIME: {"date", "datetime"},
    FieldType.ENUM: {"string", "integer", "boolean"},
    FieldType.LIST: {"list"},
}


def validate(catalog: EntityCatalog, rules: list[Rule]) -> dict[str, list[str]]:
    """Errors per field key (custom fields by name); no errors means the mapping may be saved."""
    entity = unified.entity(catalog.entity)
    errors: dict[str, list[str]] = defaultdict(list)
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    for rule in rules:
        if rule.is_custom:
            continue
        unified_field = entity.by_key.get(rule.key)
        if unified_field is None:
            errors[rule.key].append("There is no such unified field.")
            continue
        parent = unified.item_key(rule.key)
        parent_rule = by_key.get(parent[0]) if parent else None
        if parent and not (parent_rule and parent_rule.enabled and parent_rule.has_source):
            continue
        if not rule.enabled or not rule.has_source:
            if unified_field.required:
                errors[rule.key].append("This field is required: map it to a source path.")
            continue
        errors[rule.key].extend(
            field_errors(catalog, rule, unified_field, parent_rule.path if parent_rule else "")
        )
    names: set[str] = set()
    top_level = {unified_field.name for unified_field in entity.fields}
    for rule in rules:
        if not rule.is_custom:
            continue
        name = rule.key
        if not CUSTOM_NAME.fullmatch(name or ""):
            errors[name].append(
                "A custom name is lower case letters, digits and underscores, "
                "starting with a letter."
            )
        elif name in top_level:
            errors[name].append(f"{name!r} is already a unified field.")
        elif name in unified.RESERVED_NAMES:
            errors[name].append(f"{name!r} is reserved.")
        elif name in names:
            errors[name].append(f"Another custom field is already called {name!r}.")
        names.add(name)
        if not rule.has_source:
            errors[name].append("A custom field needs a source path, a join or a constant.")
            continue
        errors[name].extend(field_errors(catalog, rule, None, ""))
    return {key: messages for key, messages in errors.items() if messages}


def validate_spec(catalog: EntityCatalog, spec: dict) -> dict[str, list[str]]:
    """Like `validate()`, for a stored or imported spec, naming overrides of unknown fields too."""
    entity = unified.entity(catalog.entity)
    errors = {
        key: [f"{catalog.entity} has no field {key!r}."]
        for key in spec.get("overrides", {})
        if key not in entity.by_key
    }
    errors.update(validate(catalog, effective_rules(catalog, spec)))
    return errors


def field_errors(catalog, rule: Rule, unified_field, list_path: str) -> list[str]:
    transform = rule.transform
    target = transform.get("cast") or (unified_field.type if unified_field else "")
    messages = []
    if target and target not in FieldType.values:
        return [f"{target!r} is not a type to cast to."]
    fmt = transform.get("format", "")
    if fmt and target not in (FieldType.DATE, FieldType.DATETIME):
        messages.append("A date format only applies to a date or date-and-time field.")
    if fmt and fmt not in EPOCH_FORMATS and "%" not in fmt:
        messages.append("A date format uses strftime codes such as %Y-%m-%d, or epoch_ms.")
    paths = list(transform.get("join") or []) if "constant" not in transform else []
    if rule.path and "constant" not in transform and not transform.get("join"):
        paths.append(rule.path)
    source_types = []
    for path in paths:
        source, message = source_type(catalog, path, list_path)
        if message:
            messages.append(message)
        elif source:
            source_types.append(source)
    choices = unified_field.choices if unified_field else ()
    for option, label in (("constant", "The constant"), ("default", "The default")):
        if option in transform:
            messages.extend(value_errors(transform[option], target, transform, label, choices))
    value_map = transform.get("value_map")
    if value_map:
        if unified_field is not None and unified_field.type == FieldType.ENUM:
            wrong = sorted({str(v) for v in value_map.values()} - set(unified_field.choices))
            if wrong:
                messages.append(
                    f"Value map gives {', '.join(wrong)}, not among "
                    f"{', '.join(unified_field.choices)}."
                )
    elif target and not transform.get("join") and len(source_types) == 1:
        messages.extend(type_errors(source_types[0], target, fmt))
    return messages


def source_type(catalog, path: str, list_path: str) -> tuple[str, str]:
    """The catalog type a path gives (`list` when it fans out), or an error message."""
    try:
        parse_path(path)
    except PathError as exc:
        return "", str(exc)
    if list_path and not path.startswith(f"{list_path}[*]."):
        return "", f"An item field's path starts with {list_path}[*]."
    source = catalog.source_field(path)
    if source is None:
        return "", f"{path} is not in the {catalog.entity.replace('_', ' ')} catalog."
    relative = path[len(list_path) + 4 :] if list_path else path
    return ("list" if fans_out(relative) else source.type), ""


def type_errors(source: str, target: str, fmt: str) -> list[str]:
    if source in COMPATIBLE.get(target, set()):
        return []
    if target in (FieldType.DATE, FieldType.DATETIME):
        if source == "string" and fmt and fmt not in EPOCH_FORMATS:
            return []
        if source in ("integer", "decimal") and fmt in EPOCH_FORMATS:
            return []
        if source == "string":
            return [f"A {source} source needs a date format to become a {target}."]
        if source in ("integer", "decimal"):
            return [f"A number becomes a {target} only with the epoch_ms or epoch_s format."]
    if target == FieldType.LIST or source == "list":
        return [f"A {source} source cannot fill a {target} field."]
    return [f"A {source} source cannot become a {target}."]


def value_errors(value, target: str, transform: dict, label: str, choices=()) -> list[str]:
    if not target or (target == FieldType.ENUM and transform.get("value_map")):
        return []
    try:
        make_cast(target, transform.get("format", ""), choices)(value)
    except CAST_ERRORS as exc:
        return [f"{label} {value!r} is not a {target}: {exc}"]
    return []


def catalog_paths_for(catalog: EntityCatalog, list_path: str = "") -> list[str]:
    """The paths the picker offers: inside a list field only that list's item paths."""
    prefix = f"{list_path}[*]." if list_path else ""
    return [path for path in catalog.fields if path.startswith(prefix)]

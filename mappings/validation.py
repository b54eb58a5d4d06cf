"""Checks a mapping before it is saved: paths exist in the system's catalog, types fit, required
fields are mapped, custom names are unique and not reserved, transforms make sense.

The editor runs these as you type; a save, an import, a copy and the API refuse a mapping that
has any error, so no half-valid mapping is ever stored.
"""

from __future__ import annotations

import re
from collections import defaultdict

from connections.systems import System
from mappings import transforms, unified
from mappings.casts import CAST_ERRORS, EPOCH_FORMATS, failure, format_errors, make_cast
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule
from mappings.paths import PathError, fans_out, parse_path, suggest
from mappings.spec import differs_from_default, effective_rules
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


class InvalidMapping(ValueError):
    """A mapping a save refuses; `errors` maps each field (or "") to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The mapping has errors.")
        self.errors = errors


LOCKED = (
    "Locked by your platform admin: customers may not remap this field. "
    "Reset it to the system default."
)


def validate(
    catalog: EntityCatalog, rules: list[Rule], value_map_lines: dict | None = None
) -> dict[str, list[str]]:
    """Errors per field key (custom fields by name); no errors means the mapping may be saved.

    `value_map_lines` gives, per field, the editor's line number of each value map entry, so an
    error names the line the person typed (otherwise entries are counted from 1).
    """
    entity = unified.entity(catalog.entity)
    governance = catalog.governance
    errors: dict[str, list[str]] = defaultdict(list)
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    for rule in rules:
        if rule.is_custom:
            continue
        unified_field = entity.by_key.get(rule.key)
        if unified_field is None:
            errors[rule.key].append(unknown_field(catalog, rule.key))
            continue
        if rule.key in governance.locked and differs_from_default(catalog, rule):
            errors[rule.key].append(LOCKED)
            continue
        parent = unified.item_key(rule.key)
        parent_rule = by_key.get(parent[0]) if parent else None
        if parent and not (parent_rule and parent_rule.enabled and parent_rule.has_source):
            continue
        if not rule.enabled or not rule.has_source:
            errors[rule.key].extend(required_errors(rule, unified_field, governance))
            continue
        errors[rule.key].extend(
            field_errors(
                catalog,
                rule,
                unified_field,
                parent_rule.path if parent_rule else "",
                (value_map_lines or {}).get(rule.key),
            )
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
        elif not governance.allows_custom(name):
            errors[name].append(custom_refused(governance, name))
        names.add(name)
        if not rule.has_source:
            errors[name].append("A custom field needs a source path, a join or a constant.")
            continue
        errors[name].extend(
            field_errors(catalog, rule, None, "", (value_map_lines or {}).get(name))
        )
    for name in sorted(governance.required - set(entity.by_key) - names):
        errors[name].append(
            f"Your platform admin requires the custom field {name}: add it with a source."
        )
    return {key: messages for key, messages in errors.items() if messages}


def required_errors(rule: Rule, unified_field, governance) -> list[str]:
    by_admin = rule.key in governance.required
    if not (unified_field.required or by_admin):
        return []
    who = "Your platform admin requires this field" if by_admin else "This field is required"
    if rule.has_source and not rule.enabled:
        return [f"{who}: it cannot be left out of the output. Tick “in output”."]
    return [f"{who}: map it to a source path."]


def custom_refused(governance, name: str) -> str:
    if governance.custom_fields == "none":
        return "Your platform admin does not allow custom fields here."
    hint = suggestion(name, governance.listed)
    allowed = ", ".join(governance.listed) or "none"
    return f"{name!r} is not among the custom fields your platform admin allows ({allowed}).{hint}"


def unknown_field(catalog: EntityCatalog, key: str) -> str:
    entity = unified.entity(catalog.entity)
    label = entity.label.lower()
    return f"A {label} has no field {key!r}.{suggestion(key, entity.by_key)}"


def suggestion(text: str, known) -> str:
    guess = suggest(text, known)
    return f" Did you mean {guess}?" if guess else ""


def field_hint(catalog: EntityCatalog, path: str) -> str:
    """For a path spelled like a unified field (`titel`): where that field comes from."""
    key = suggest(path, catalog.catalog_defaults)
    if key is None:
        return ""
    source = catalog.catalog_defaults[key]["path"]
    return f" Did you mean {source}? ({system_name(catalog)} sends {key} as {source}.)"


def system_name(catalog: EntityCatalog) -> str:
    return System(catalog.system).label if catalog.system in System.values else catalog.system


def validate_spec(catalog: EntityCatalog, spec: dict) -> dict[str, list[str]]:
    """Like `validate()`, for a stored or imported spec, naming overrides of unknown fields and
    of fields the admins locked too."""
    entity = unified.entity(catalog.entity)
    errors = {
        key: [unknown_field(catalog, key)]
        for key in spec.get("overrides", {})
        if key not in entity.by_key
    }
    for key, override in spec.get("overrides", {}).items():
        if key in catalog.governance.locked and key in entity.by_key:
            rule = Rule(
                key,
                override.get("path", ""),
                override.get("transform", {}),
                override.get("enabled", True),
            )
            if differs_from_default(catalog, rule):
                errors[key] = [LOCKED]
    for key, messages in validate(catalog, effective_rules(catalog, spec)).items():
        errors.setdefault(key, []).extend(messages)
    return errors


def field_errors(
    catalog, rule: Rule, unified_field, list_path: str, lines: dict | None = None
) -> list[str]:
    transform = rule.transform
    target = transform.get("cast") or (unified_field.type if unified_field else "")
    messages = []
    if target and target not in FieldType.values:
        return [f"{target!r} is not a type to cast to."]
    fmt = transform.get("format", "")
    if fmt and target not in (FieldType.DATE, FieldType.DATETIME):
        messages.append("A date format only applies to a date or date-and-time field.")
    messages.extend(format_errors(fmt))
    source_types = []
    for path in transforms.source_paths(rule.path, transform):
        source, message = source_type(catalog, path, list_path)
        if message:
            messages.append(message)
        elif source:
            source_types.append(source)
    choices = unified_field.choices if unified_field else ()
    for option, label in (("constant", "The constant"), ("default", "The default")):
        if option in transform and not messages:
            messages.extend(value_errors(transform[option], target, transform, label, choices))
    value_map = transform.get("value_map")
    if value_map:
        messages.extend(value_map_errors(value_map, unified_field, target, lines or {}))
    elif target and not transform.get("join") and len(source_types) == 1:
        messages.extend(type_errors(source_types[0], target, fmt))
    return messages


def value_map_errors(value_map: dict, unified_field, target: str, lines: dict) -> list[str]:
    """Each value map entry that gives a value the field cannot take, by its line."""
    messages = []
    for position, (raw, mapped) in enumerate(value_map.items(), start=1):
        line = lines.get(raw, position)
        if unified_field is not None and unified_field.type == FieldType.ENUM:
            if str(mapped) not in unified_field.choices:
                messages.append(
                    f"Value map line {line} ({raw} = {transforms.spell(mapped)}): "
                    f"{transforms.spell(mapped)!r} is not one of "
                    f"{', '.join(unified_field.choices)}."
                )
        elif target and mapped is not None:
            try:
                make_cast(target, "", ())(mapped)
            except CAST_ERRORS as exc:
                messages.append(
                    f"Value map line {line} ({raw} = {transforms.spell(mapped)}): "
                    f"{failure(mapped, target, '', exc)}."
                )
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
        hint = suggestion(path, catalog.fields) or field_hint(catalog, path)
        return "", f"{path} is not in the {catalog.entity.replace('_', ' ')} catalog.{hint}"
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
        reason = failure(value, target, transform.get("format", ""), exc)
        return [f"{label} {value!r} does not fit: {reason}."]
    return []


def catalog_paths_for(catalog: EntityCatalog, list_path: str = "") -> list[str]:
    """The paths the picker offers: inside a list field only that list's item paths."""
    prefix = f"{list_path}[*]." if list_path else ""
    return [path for path in catalog.fields if path.startswith(prefix)]

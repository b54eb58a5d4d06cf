"""A connection's mapping spec: what it changes from its system's defaults.

A mapping version stores only the spec (overrides and custom fields), never a copy of the
defaults, so an improved default (the catalog's, or the system default platform admins edit)
reaches every connection that did not override that field. A field the admins locked always
takes the default, whatever an older spec says.
`effective_rules()` merges defaults and spec into the rules the engine compiles; `spec_from_rules()`
goes back, keeping only what differs from the default.

    {"overrides": {"vendor_id": {"path": "...", "transform": {...}, "enabled": true}},
     "custom_fields": [{"name": "plant", "path": "...", "transform": {...}}]}
"""

from __future__ import annotations

from mappings import transforms, unified
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule

EXPORT_FORMAT = "patchbay.mapping/1"
EMPTY_SPEC = {"overrides": {}, "custom_fields": []}


class SpecError(ValueError):
    """A spec that is not shaped like one; `errors` maps a field (or "") to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k or 'mapping'}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def effective_rules(catalog: EntityCatalog, spec: dict | None) -> list[Rule]:
    """Every unified field's rule (default, override or unmapped), then the custom fields."""
    spec = spec or EMPTY_SPEC
    overrides = spec.get("overrides", {})
    locked = catalog.governance.locked
    rules = []
    for key in unified.entity(catalog.entity).by_key:
        if key in overrides and key not in locked:
            override = overrides[key]
            rules.append(
                Rule(
                    key,
                    override.get("path", ""),
                    dict(override.get("transform", {})),
                    override.get("enabled", True),
                    "override",
                )
            )
        else:
            rules.append(default_rule(catalog, key))
    for custom in spec.get("custom_fields", []):
        rules.append(
            Rule(
                custom["name"],
                custom.get("path", ""),
                dict(custom.get("transform", {})),
                True,
                "custom",
            )
        )
    return rules


def default_rule(catalog: EntityCatalog, key: str) -> Rule:
    default = catalog.defaults.get(key)
    if default is None:
        return Rule(key, origin="unmapped")
    rule = Rule(key, default["path"], dict(default["transform"]), default.get("enabled", True))
    return (
        rule if rule.has_source else Rule(key, rule.path, rule.transform, rule.enabled, "unmapped")
    )


def differs_from_default(catalog: EntityCatalog, rule: Rule) -> bool:
    return rule.as_dict() != default_rule(catalog, rule.key).as_dict()


def spec_from_rules(catalog: EntityCatalog, rules: list[Rule]) -> dict:
    overrides = {}
    custom_fields = []
    for rule in rules:
        if rule.is_custom:
            custom_fields.append(
                {"name": rule.key, "path": rule.path, "transform": dict(rule.transform)}
            )
        elif differs_from_default(catalog, rule):
            overrides[rule.key] = rule.as_dict()
    return {"overrides": overrides, "custom_fields": custom_fields}


def with_origins(catalog: EntityCatalog, rules: list[Rule]) -> list[Rule]:
    """The same rules, each marked default, override, unmapped or custom against the catalog."""
    marked = []
    for rule in rules:
        if rule.is_custom:
            marked.append(rule)
        elif differs_from_default(catalog, rule):
            marked.append(Rule(rule.key, rule.path, rule.transform, rule.enabled, "override"))
        else:
            marked.append(default_rule(catalog, rule.key))
    return marked


def parse_spec(data) -> dict:
    """Check the shape of a spec from outside (an import, the API); SpecError says what is wrong.

    Shape only: whether paths exist and types fit is `validation.validate()`'s job.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict):
        raise SpecError({"": ["The mapping must be a JSON object."]})
    overrides = data.get("overrides", {})
    custom_fields = data.get("custom_fields", [])
    if not isinstance(overrides, dict):
        errors.setdefault("overrides", []).append("overrides must be an object of fields.")
        overrides = {}
    if not isinstance(custom_fields, list):
        errors.setdefault("custom_fields", []).append("custom_fields must be a list.")
        custom_fields = []
    clean = {"overrides": {}, "custom_fields": []}
    for key, entry in overrides.items():
        problems = _entry_problems(entry, with_enabled=True)
        if problems:
            errors.setdefault(key, []).extend(problems)
        else:
            clean["overrides"][key] = {
                "path": entry.get("path", ""),
                "transform": entry.get("transform", {}),
                "enabled": entry.get("enabled", True),
            }
    for position, entry in enumerate(custom_fields):
        name = entry.get("name") if isinstance(entry, dict) else None
        label = name if isinstance(name, str) and name else f"custom_fields[{position}]"
        problems = _entry_problems(entry, with_enabled=False)
        if not isinstance(name, str) or not name:
            problems.append("A custom field needs a name.")
        if problems:
            errors.setdefault(label, []).extend(problems)
        else:
            clean["custom_fields"].append(
                {
                    "name": name,
                    "path": entry.get("path", ""),
                    "transform": entry.get("transform", {}),
                }
            )
    if errors:
        raise SpecError(errors)
    return clean


def _entry_problems(entry, *, with_enabled: bool) -> list[str]:
    if not isinstance(entry, dict):
        return ["Each field must be an object with a path and a transform."]
    problems = []
    if not isinstance(entry.get("path", ""), str):
        problems.append("path must be a string.")
    problems.extend(transforms.shape_errors(entry.get("transform", {})))
    if with_enabled and not isinstance(entry.get("enabled", True), bool):
        problems.append("enabled must be true or false.")
    return problems


def exported(catalog: EntityCatalog, spec: dict, *, number: int) -> dict:
    return {
        "format": EXPORT_FORMAT,
        "system": catalog.system,
        "entity": catalog.entity,
        "model_version": unified.MODEL_VERSION,
        "version": number,
        "overrides": spec.get("overrides", {}),
        "custom_fields": spec.get("custom_fields", []),
    }

"""The editor's form: one row of inputs per unified field and per custom field, read into rules.

The whole draft travels with every request (preview, save), so the server keeps no draft state
and a reload or a conflict never loses what the person typed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django import forms

from connections.input_guard import load_json
from mappings import transforms, unified
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule
from mappings.governance import Governance
from mappings.spec import default_rule, with_origins
from mappings.transforms import spell
from mappings.unified import FieldType
from mappings.versions import describe

MAX_IMPORT_BYTES = 1_000_000
CUSTOM_ROW = re.compile(r"custom\.(\d+)\.name")


def anchor(key: str) -> str:
    """An HTML id for a field key (`lines.material` → `lines-material`)."""
    return re.sub(r"[^a-z0-9_-]", "-", key.lower())


LITERAL = re.compile(r"true|false|null|-?(0|[1-9]\d*)(\.\d+)?")


def literal(text: str):
    """What a person typed: `true`, `null` and numbers are JSON values, anything else a string.

    The same spelling is used to show stored values (`spell()`), so an untouched row reads back
    exactly as it was and does not turn into an override.
    """
    return json.loads(text) if LITERAL.fullmatch(text) else text


def parse_value_map(text: str) -> tuple[dict, dict[str, int], list[str]]:
    """`raw = mapped`, one pair per line: the pairs, each raw value's line, and the errors, each
    naming its line."""
    pairs: dict = {}
    lines: dict[str, int] = {}
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        raw, equals, mapped = line.partition("=")
        raw = raw.strip()
        if not equals:
            errors.append(
                f"Value map line {number} ({line.strip()}) has no “=”: write it as "
                "raw value = unified value."
            )
            continue
        if raw in lines:
            errors.append(
                f"Value map line {number} repeats {raw or '(empty)'}, already on line {lines[raw]}."
            )
            continue
        pairs[raw] = literal(mapped.strip())
        lines[raw] = number
    return pairs, lines, errors


@dataclass
class Draft:
    """What the editor posted: rules, custom rows' form indexes, and what the form itself found
    wrong (value map lines), with each value map entry's line for validation's messages."""

    rules: list[Rule]
    custom_indexes: list[int]
    form_errors: dict[str, list[str]]
    value_map_lines: dict[str, dict[str, int]]

    def errors(self, validated: dict[str, list[str]]) -> dict[str, list[str]]:
        merged = {key: list(messages) for key, messages in validated.items()}
        for key, messages in self.form_errors.items():
            merged.setdefault(key, []).extend(messages)
        return merged


def transform_from(post, prefix: str) -> tuple[dict, dict[str, int], list[str]]:
    """A row's transform read option by option from the vocabulary, with value map lines and
    errors."""
    transform: dict = {}
    lines: dict[str, int] = {}
    errors: list[str] = []
    for option in transforms.OPTIONS:
        text = post.get(f"{prefix}.{option.name}", "")
        if option.name == "separator":
            continue  # read with the join it separates
        if option.kind in ("type", "text") and text.strip():
            transform[option.name] = text.strip()
        elif option.kind == "lines":
            pairs, lines, errors = parse_value_map(text)
            if pairs:
                transform[option.name] = pairs
        elif option.kind == "value" and text != "":
            transform[option.name] = literal(text)
        elif option.kind == "paths":
            paths = [path.strip() for path in text.split(",") if path.strip()]
            if paths:
                transform[option.name] = paths
                separator = post.get(f"{prefix}.separator", " ")
                transform["separator"] = separator if separator != "" else " "
    return transform, lines, errors


def rule_digest(rule: Rule) -> str:
    """A short fingerprint of a rule as shown, to tell later whether the person changed it."""
    text = json.dumps(rule.as_dict(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def rules_from_post(catalog: EntityCatalog, post, *, scope: str = "connection") -> Draft:
    """The draft's rules, marked default/override against `catalog`.

    A unified row the form does not carry (a locked field shows no inputs) inherits the default,
    and so does a row posted exactly as it was shown while inheriting, even if the default
    changed meanwhile: only what the person edited becomes an override.
    """
    entity = unified.entity(catalog.entity)
    rules = []
    form_errors: dict[str, list[str]] = {}
    value_map_lines: dict[str, dict[str, int]] = {}
    for key in entity.by_key:
        prefix = f"field.{key}"
        if f"{prefix}.path" not in post:
            rules.append(default_rule(catalog, key))
            continue
        path = post.get(f"{prefix}.path", "").strip()
        enabled = post.get(f"{prefix}.enabled") == "on"
        transform, lines, errors = transform_from(post, prefix)
        rule = Rule(key, path, transform, enabled, "override")
        if post.get(f"{prefix}.inherits") == rule_digest(rule):
            rule = default_rule(catalog, key)
        rules.append(rule)
        value_map_lines[key], form_errors[key] = lines, errors
    indexes = sorted({int(m.group(1)) for name in post for m in [CUSTOM_ROW.fullmatch(name)] if m})
    if scope == "system":
        indexes = []
    for index in indexes:
        prefix = f"custom.{index}"
        name = post.get(f"{prefix}.name", "").strip()
        transform, lines, errors = transform_from(post, prefix)
        rules.append(Rule(name, post.get(f"{prefix}.path", "").strip(), transform, True, "custom"))
        value_map_lines[name] = lines
        form_errors.setdefault(name, []).extend(errors)
    return Draft(
        with_origins(catalog, rules),
        indexes,
        {key: errors for key, errors in form_errors.items() if errors},
        value_map_lines,
    )


def governance_from_post(post, entity_name: str) -> Governance:
    """The governance part of the system default editor's form."""
    entity = unified.entity(entity_name)
    listed = [name.strip() for name in post.get("gov.listed", "").split(",") if name.strip()]
    required = {key for key in entity.by_key if post.get(f"gov.required.{key}") == "on"}
    required |= {name for name in listed if post.get(f"gov.required_custom.{name}") == "on"}
    required |= {
        name.strip() for name in post.get("gov.required_custom", "").split(",") if name.strip()
    }
    return Governance(
        locked=frozenset(key for key in entity.by_key if post.get(f"gov.locked.{key}") == "on"),
        required=frozenset(required),
        custom_fields=post.get("gov.custom_fields", "any"),
        listed=tuple(dict.fromkeys(listed)),
    )


@dataclass
class Row:
    """What the template needs to draw one row of the editor."""

    key: str
    rule: Rule
    label: str
    type: str = ""
    required: bool = False
    description: str = ""
    choices: tuple = ()
    is_item: bool = False
    list_path: str = ""
    default: Rule | None = None
    index: int | None = None
    errors: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    locked: bool = False
    required_by_admin: bool = False
    editable: bool = True

    @property
    def anchor(self) -> str:
        return f"custom-{self.index}" if self.index is not None else anchor(self.key)

    @property
    def prefix(self) -> str:
        return f"custom.{self.index}" if self.index is not None else f"field.{self.key}"

    @property
    def inherits(self) -> bool:
        return self.rule.origin in ("default", "unmapped")

    @property
    def digest(self) -> str:
        return rule_digest(self.rule)

    def text(self, option) -> str:
        """An option's value as the editor's input shows it."""
        transform = self.rule.transform
        if option.name not in transform:
            return ""
        value = transform[option.name]
        if option.kind == "lines":
            return "\n".join(f"{raw} = {spell(mapped)}" for raw, mapped in value.items())
        if option.kind == "paths":
            return ", ".join(value)
        return spell(value)

    @property
    def options(self) -> list[tuple]:
        """The transform vocabulary with this row's values, for the template."""
        return [(option, self.text(option)) for option in transforms.OPTIONS]

    @property
    def transform_summary(self) -> str:
        return transforms.summary(self.rule.transform)

    @property
    def winner_note(self) -> str:
        return transforms.winner_note(self.rule.path, self.rule.transform)

    @property
    def has_transform(self) -> bool:
        return bool(self.rule.transform)

    @property
    def default_words(self) -> str:
        if self.default is None or not self.default.has_source:
            return "no default"
        return describe(self.default)

    @property
    def is_date(self) -> bool:
        return self.type in (FieldType.DATE, FieldType.DATETIME)


def rows_for(
    catalog: EntityCatalog,
    rules: list[Rule],
    errors: dict[str, list[str]],
    custom_indexes: list[int] | None = None,
    failures: dict[str, list[str]] | None = None,
    *,
    governed: bool = True,
) -> list[Row]:
    """The editor's rows; `governed` (a connection's editor) shows locked fields read-only."""
    entity = unified.entity(catalog.entity)
    governance = catalog.governance
    failures = failures or {}
    rows = []
    custom_index = 0
    by_key = {rule.key: rule for rule in rules if not rule.is_custom}
    for rule in rules:
        if rule.is_custom:
            rows.append(
                Row(
                    rule.key,
                    rule,
                    rule.key,
                    type=rule.transform.get("cast", ""),
                    index=custom_indexes[custom_index] if custom_indexes else custom_index,
                    errors=errors.get(rule.key, []),
                    failures=failures.get(rule.key, []),
                    required_by_admin=rule.key in governance.required,
                )
            )
            custom_index += 1
            continue
        unified_field = entity.by_key[rule.key]
        parent = unified.item_key(rule.key)
        locked = rule.key in governance.locked
        rows.append(
            Row(
                rule.key,
                rule,
                rule.key,
                type=unified_field.type,
                required=unified_field.required or rule.key in governance.required,
                description=unified_field.description,
                choices=unified_field.choices,
                is_item=bool(parent),
                list_path=by_key[parent[0]].path if parent else "",
                default=default_rule(catalog, rule.key),
                errors=errors.get(rule.key, []),
                failures=failures.get(rule.key, []),
                locked=locked,
                required_by_admin=rule.key in governance.required,
                editable=not (governed and locked),
            )
        )
    return rows


class ImportForm(forms.Form):
    mapping_file = forms.FileField(required=False, label="Mapping JSON file")
    mapping_json = forms.CharField(required=False, widget=forms.Textarea, label="or paste JSON")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("mapping_file")
        if upload and upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("That file is too large for a mapping (over 1 MB).")
        text = upload.read().decode("utf-8", errors="replace") if upload else ""
        text = text or cleaned.get("mapping_json", "")
        if not text.strip():
            raise forms.ValidationError("Choose a JSON file or paste the mapping.")
        try:
            cleaned["document"] = load_json(text)
        except ValueError as exc:
            raise forms.ValidationError(f"That is not JSON: {exc}") from exc
        return cleaned

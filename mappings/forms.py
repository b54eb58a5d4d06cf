"""The editor's form: one row of inputs per unified field and per custom field, read into rules.

The whole draft travels with every request (preview, save), so the server keeps no draft state
and a reload or a conflict never loses what the person typed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django import forms

from connections.input_guard import load_json
from mappings import unified
from mappings.catalogs import EntityCatalog
from mappings.engine import Rule
from mappings.spec import with_origins
from mappings.unified import FieldType

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


def spell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_value_map(text: str) -> dict:
    """`raw = mapped`, one pair per line."""
    pairs = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        raw, _, mapped = line.partition("=")
        pairs[raw.strip()] = literal(mapped.strip())
    return pairs


def transform_from(post, prefix: str) -> dict:
    transform: dict = {}
    cast = post.get(f"{prefix}.cast", "").strip()
    if cast:
        transform["cast"] = cast
    fmt = post.get(f"{prefix}.format", "").strip()
    if fmt:
        transform["format"] = fmt
    value_map = parse_value_map(post.get(f"{prefix}.value_map", ""))
    if value_map:
        transform["value_map"] = value_map
    for option in ("default", "constant"):
        value = post.get(f"{prefix}.{option}", "")
        if value != "":
            transform[option] = literal(value)
    join = [path.strip() for path in post.get(f"{prefix}.join", "").split(",") if path.strip()]
    if join:
        transform["join"] = join
        separator = post.get(f"{prefix}.separator", " ")
        transform["separator"] = separator if separator != "" else " "
    return transform


def rules_from_post(catalog: EntityCatalog, post) -> tuple[list[Rule], list[int]]:
    """The draft's rules, and the form index of each custom field's row (for its status cell)."""
    entity = unified.entity(catalog.entity)
    rules = []
    for key in entity.by_key:
        path = post.get(f"field.{key}.path", "").strip()
        enabled = post.get(f"field.{key}.enabled") == "on"
        rules.append(Rule(key, path, transform_from(post, f"field.{key}"), enabled, "override"))
    indexes = sorted({int(m.group(1)) for name in post for m in [CUSTOM_ROW.fullmatch(name)] if m})
    for index in indexes:
        prefix = f"custom.{index}"
        name = post.get(f"{prefix}.name", "").strip()
        rules.append(
            Rule(
                name,
                post.get(f"{prefix}.path", "").strip(),
                transform_from(post, prefix),
                True,
                "custom",
            )
        )
    return with_origins(catalog, rules), indexes


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

    @property
    def anchor(self) -> str:
        return f"custom-{self.index}" if self.index is not None else anchor(self.key)

    @property
    def prefix(self) -> str:
        return f"custom.{self.index}" if self.index is not None else f"field.{self.key}"

    @property
    def value_map_text(self) -> str:
        value_map = self.rule.transform.get("value_map") or {}
        return "\n".join(f"{raw} = {spell(mapped)}" for raw, mapped in value_map.items())

    @property
    def default_text(self) -> str:
        return spell(self.rule.transform["default"]) if "default" in self.rule.transform else ""

    @property
    def constant_text(self) -> str:
        return spell(self.rule.transform["constant"]) if "constant" in self.rule.transform else ""

    @property
    def join_text(self) -> str:
        return ", ".join(self.rule.transform.get("join") or [])

    @property
    def transform_summary(self) -> str:
        transform = self.rule.transform
        parts = []
        if "constant" in transform:
            parts.append(f"constant {spell(transform['constant'])}")
        if transform.get("join"):
            parts.append(f"join of {len(transform['join'])} paths")
        if transform.get("cast"):
            parts.append(f"as {transform['cast']}")
        if transform.get("format"):
            parts.append(f"format {transform['format']}")
        if transform.get("value_map"):
            parts.append(f"value map ({len(transform['value_map'])})")
        if "default" in transform:
            parts.append(f"default {spell(transform['default'])}")
        return ", ".join(parts)

    @property
    def has_transform(self) -> bool:
        return bool(self.rule.transform)

    @property
    def is_date(self) -> bool:
        return self.type in (FieldType.DATE, FieldType.DATETIME)


def rows_for(
    catalog: EntityCatalog,
    rules: list[Rule],
    errors: dict[str, list[str]],
    custom_indexes: list[int] | None = None,
) -> list[Row]:
    entity = unified.entity(catalog.entity)
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
                )
            )
            custom_index += 1
            continue
        unified_field = entity.by_key[rule.key]
        parent = unified.item_key(rule.key)
        default = catalog.defaults.get(rule.key)
        rows.append(
            Row(
                rule.key,
                rule,
                rule.key,
                type=unified_field.type,
                required=unified_field.required,
                description=unified_field.description,
                choices=unified_field.choices,
                is_item=bool(parent),
                list_path=by_key[parent[0]].path if parent else "",
                default=Rule(rule.key, default["path"], default["transform"]) if default else None,
                errors=errors.get(rule.key, []),
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

"""What platform admins allow customers to change in a system's mapping of one entity.

Per system and entity, next to the system default: which unified fields customers may not remap
(`locked`: the system default always applies), which fields must be mapped (`required`: unified
fields beyond the model's own, or custom fields the provider defines and every connection must
fill), and which custom fields customers may add (any, only the listed names, or none).

The rules bind every connection mapping, whoever saves it: the editor, an import, a copy and the
mapping API all go through `validation.validate()`, which reads the catalog's governance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CUSTOM_POLICIES = {
    "any": "Customers may add any custom field",
    "listed": "Customers may add only the custom fields listed",
    "none": "Customers may not add custom fields",
}


@dataclass(frozen=True)
class Governance:
    locked: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    custom_fields: str = "any"
    listed: tuple[str, ...] = field(default=())

    @classmethod
    def from_dict(cls, data: dict | None) -> Governance:
        data = data or {}
        policy = data.get("custom_fields", "any")
        return cls(
            locked=frozenset(data.get("locked", ())),
            required=frozenset(data.get("required", ())),
            custom_fields=policy if policy in CUSTOM_POLICIES else "any",
            listed=tuple(data.get("listed", ())),
        )

    def as_dict(self) -> dict:
        return {
            "locked": sorted(self.locked),
            "required": sorted(self.required),
            "custom_fields": self.custom_fields,
            "listed": list(self.listed),
        }

    @property
    def is_open(self) -> bool:
        return self == Governance()

    def allows_custom(self, name: str) -> bool:
        if self.custom_fields == "none":
            return False
        return self.custom_fields == "any" or name in self.listed

    def custom_words(self) -> str:
        """The custom-field rule as the editor explains it."""
        if self.custom_fields == "listed":
            names = ", ".join(self.listed) or "none yet"
            return f"Custom fields are limited to those your platform admin listed: {names}."
        if self.custom_fields == "none":
            return "Your platform admin does not allow custom fields here."
        return ""

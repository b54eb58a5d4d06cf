"""The unified data model: the entities and fields every connected system is mapped onto.

It is data in code, versioned by `MODEL_VERSION`: a change to a field is a code review, and each
mapping version records which model it was written against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

MODEL_VERSION = "2026.11"


class FieldType(models.TextChoices):
    STRING = "string", "String"
    INTEGER = "integer", "Integer"
    DECIMAL = "decimal", "Decimal"
    BOOLEAN = "boolean", "Boolean"
    DATE = "date", "Date"
    DATETIME = "datetime", "Date and time"
    ENUM = "enum", "Enum"
    LIST = "list", "List of objects"


@dataclass(frozen=True)
class UnifiedField:
    """One field of a unified entity; a list field has item fields of its own."""

    name: str
    type: FieldType
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    item_fields: tuple[UnifiedField, ...] = ()


@dataclass(frozen=True)
class Entity:
    name: str
    label: str
    fields: tuple[UnifiedField, ...]
    by_key: dict[str, UnifiedField] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        self.by_key.update(dict(flatten(self.fields)))

    def keys(self) -> list[str]:
        """Every field's key, item fields as `list.item` right after their list."""
        return list(self.by_key)


def flatten(fields, prefix: str = ""):
    for unified in fields:
        key = f"{prefix}{unified.name}"
        yield key, unified
        yield from flatten(unified.item_fields, prefix=f"{key}.")


def item_key(key: str) -> tuple[str, str] | None:
    """`("lines", "material")` for `lines.material`; None for a top-level key."""
    parent, dot, child = key.partition(".")
    return (parent, child) if dot else None


S, INT, D, B = FieldType.STRING, FieldType.INTEGER, FieldType.DECIMAL, FieldType.BOOLEAN
DATE, DT, ENUM, LIST = FieldType.DATE, FieldType.DATETIME, FieldType.ENUM, FieldType.LIST
F = UnifiedField

ENTITIES: dict[str, Entity] = {
    entity.name: entity
    for entity in [
        Entity(
            "purchase_order",
            "Purchase order",
            (
                F("id", S, "The source system's identifier of the order.", required=True),
                F("number", S, "The order number people quote.", required=True),
                F("vendor_id", S, "Identifier of the vendor the order is placed with."),
                F(
                    "status",
                    ENUM,
                    "Where the order is in its life.",
                    required=True,
                    choices=("draft", "open", "approved", "received", "closed", "cancelled"),
                ),
                F("currency", S, "ISO 4217 currency code."),
                F("total", D, "Order total in its currency, tax included."),
                F("order_date", DATE, "Date the order was placed.", required=True),
                F("expected_at", DT, "When the goods are expected."),
                F("approved", B, "Whether the order passed approval."),
                F(
                    "lines",
                    LIST,
                    "The order's line items.",
                    item_fields=(
                        F("line_number", INT, "Position of the line in the order.", required=True),
                        F("material", S, "Material or part number ordered."),
                        F("description", S, "What is ordered, in words."),
                        F("quantity", D, "Quantity ordered.", required=True),
                        F("unit", S, "Unit of measure."),
                        F("unit_price", D, "Price per unit."),
                    ),
                ),
            ),
        ),
        Entity(
            "work_order",
            "Work order",
            (
                F("id", S, "The source system's identifier of the work order.", required=True),
                F("number", S, "The work order number people quote.", required=True),
                F("title", S, "Short summary of the work.", required=True),
                F(
                    "status",
                    ENUM,
                    "Where the work is.",
                    required=True,
                    choices=("open", "in_progress", "on_hold", "completed", "cancelled"),
                ),
                F(
                    "priority",
                    ENUM,
                    "How urgent the work is.",
                    choices=("low", "medium", "high", "urgent"),
                ),
                F("asset_id", S, "Identifier of the asset worked on."),
                F("assigned_to", S, "Person or crew the work is assigned to."),
                F("due_at", DT, "When the work is due."),
                F("created_at", DT, "When the work order was raised."),
                F("estimated_hours", D, "Planned labour hours."),
            ),
        ),
        Entity(
            "inventory_item",
            "Inventory item",
            (
                F("id", S, "The source system's identifier of the item.", required=True),
                F("sku", S, "Stock keeping unit or part number.", required=True),
                F("name", S, "Item name.", required=True),
                F("quantity_on_hand", D, "Quantity in stock now."),
                F("unit", S, "Unit of measure."),
                F("location", S, "Storeroom or bin."),
                F("reorder_point", D, "Stock level that triggers a reorder."),
                F("unit_cost", D, "Cost per unit."),
                F("active", B, "Whether the item is still stocked."),
            ),
        ),
        Entity(
            "asset",
            "Asset",
            (
                F("id", S, "The source system's identifier of the asset.", required=True),
                F("tag", S, "Asset tag on the equipment.", required=True),
                F("name", S, "Asset name.", required=True),
                F(
                    "status",
                    ENUM,
                    "Operating state.",
                    choices=("operating", "down", "retired"),
                ),
                F("location", S, "Where the asset is installed."),
                F("manufacturer", S, "Maker of the equipment."),
                F("serial_number", S, "Manufacturer's serial number."),
                F("install_date", DATE, "Date the asset went into service."),
                F("criticality", INT, "Criticality ranking, 1 (highest) to 5."),
            ),
        ),
        Entity(
            "vendor",
            "Vendor",
            (
                F("id", S, "The source system's identifier of the vendor.", required=True),
                F("name", S, "Legal or trading name.", required=True),
                F("tax_id", S, "Tax or VAT number."),
                F("email", S, "Purchasing contact address."),
                F("phone", S, "Purchasing contact phone."),
                F("country", S, "ISO 3166 country code."),
                F("payment_terms", S, "Agreed payment terms."),
                F("active", B, "Whether orders may be placed with the vendor."),
            ),
        ),
    ]
}

# Names a custom field may not take: the unified fields' own, and words the API reserves.
RESERVED_NAMES = frozenset({"problems", "record", "errors", "custom_fields", "_meta"})


def entity(name: str) -> Entity:
    """The unified entity called `name`; KeyError when there is none."""
    return ENTITIES[name]

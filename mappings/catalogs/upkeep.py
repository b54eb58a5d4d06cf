"""UpKeep (REST API v2): camelCase names, opaque string ids, ISO timestamps with milliseconds,
numeric priorities, and custom data as a list of `{name, value}` pairs (`customFields[0].value`).
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float


def iso_millis(text: str) -> str:
    return f"{text}T00:00:00.000Z" if "T" not in text else text.replace("Z", ".000Z")


def custom_fields(name: str, value):
    return lambda record: [{"name": name, "value": value, "unit": None}]


ENTITIES = {
    "purchase_order": [
        N("id", "id", read_only=True),
        N("purchaseOrderNumber", "number"),
        N("vendor.id", "vendor_id"),
        N("vendor.businessName", value=lambda r: f"Vendor {r['vendor_id']}"),
        N(
            "status",
            "status",
            vmap={
                "AWAITING_APPROVAL": "draft",
                "PARTIALLY_FULFILLED": "open",
                "APPROVED": "approved",
                "FULFILLED": "received",
                "CLOSED": "closed",
                "DECLINED": "cancelled",
            },
        ),
        N("currency", "currency"),
        N("totalCost", "total", spell=as_float, read_only=True),
        N("createdAt", "order_date", spell=iso_millis, read_only=True),
        N("dueDate", "expected_at", spell=iso_millis),
        N("isApproved", "approved"),
        N("updatedAt", value=lambda r: "2026-11-23T10:15:00.000Z", read_only=True),
        N("customFields", value=custom_fields("Plant section", "Press shop"), custom=True),
        N(
            "partsPurchased",
            "lines",
            items=(
                N("lineNumber", "line_number"),
                N("part.partNumber", "material"),
                N("part.name", "description"),
                N("quantity", "quantity", spell=as_float),
                N("part.unit", "unit"),
                N("price", "unit_price", spell=as_float),
            ),
        ),
    ],
    "work_order": [
        N("id", "id", read_only=True),
        N("workOrderNo", "number"),
        N("title", "title"),
        N(
            "status",
            "status",
            vmap={
                "open": "open",
                "inProgress": "in_progress",
                "onHold": "on_hold",
                "complete": "completed",
                "cancelled": "cancelled",
            },
        ),
        N("priority", "priority", vmap={0: "low", 1: "medium", 2: "high", 3: "urgent"}),
        N("asset.serialNumber", "asset_id"),
        N("assignedToUser.name", "assigned_to"),
        N("dueDate", "due_at", spell=iso_millis),
        N("createdAt", "created_at", spell=iso_millis, read_only=True),
        N("time.estimatedHours", "estimated_hours", spell=as_float),
        N("category", value=lambda r: "Preventive"),
        N("customFields", value=custom_fields("Permit", "PTW-2291"), custom=True),
    ],
    "inventory_item": [
        N("id", "id", read_only=True),
        N("partNumber", "sku"),
        N("name", "name"),
        N("availableQuantity", "quantity_on_hand", spell=as_float),
        N("unit", "unit"),
        N("area", "location"),
        N("minimumQuantity", "reorder_point", spell=as_float),
        N("cost", "unit_cost", spell=as_float),
        N("archived", "active", vmap={False: True, True: False}),
        N("customFields", value=custom_fields("Hazard class", "none"), custom=True),
    ],
    "asset": [
        N("id", "id", read_only=True),
        N("barcode", "tag"),
        N("name", "name"),
        N("status", "status", vmap={"active": "operating", "down": "down", "archived": "retired"}),
        N("location.name", "location"),
        N("make", "manufacturer"),
        N("serialNumber", "serial_number"),
        N("purchaseDate", "install_date", spell=iso_millis),
        N("criticality", "criticality"),
        N("customFields", value=custom_fields("Inspection cycle", "Quarterly"), custom=True),
    ],
    "vendor": [
        N("id", "id", read_only=True),
        N("businessName", "name"),
        N("taxId", "tax_id"),
        N("email", "email"),
        N("phoneNumber", "phone"),
        N("address.country", "country"),
        N("paymentTerms", "payment_terms"),
        N("isActive", "active"),
        N("customFields", value=custom_fields("Preferred carrier", "DHL Freight"), custom=True),
    ],
}

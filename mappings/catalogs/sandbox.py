"""The bundled sandbox upstream: snake_case JSON close to the unified model but not equal to it
(nested references, `items` for lines, a `custom` object), so every kind of mapping can be tried.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float

ENTITIES = {
    "purchase_order": [
        N("id", "id", read_only=True),
        N("po_number", "number"),
        N("supplier.id", "vendor_id"),
        N("supplier.name", value=lambda r: f"Vendor {r['vendor_id']}"),
        N("state", "status"),
        N("currency", "currency"),
        N("amount_total", "total", spell=as_float, read_only=True),
        N("ordered_on", "order_date"),
        N("delivery.expected_at", "expected_at"),
        N("approved", "approved"),
        N("updated_at", value=lambda r: "2026-11-23T10:15:00Z", read_only=True),
        N("custom.plant_section", value=lambda r: "Press shop", custom=True),
        N(
            "items",
            "lines",
            items=(
                N("position", "line_number"),
                N("material", "material"),
                N("text", "description"),
                N("qty", "quantity", spell=as_float),
                N("uom", "unit"),
                N("price", "unit_price", spell=as_float),
                N("custom.cost_center", value=lambda line: "CC-4711", custom=True),
            ),
        ),
    ],
    "work_order": [
        N("id", "id", read_only=True),
        N("wo_number", "number"),
        N("summary", "title"),
        N("state", "status"),
        N("priority", "priority"),
        N("asset.tag", "asset_id"),
        N("assignee", "assigned_to"),
        N("due_at", "due_at"),
        N("created_at", "created_at", read_only=True),
        N("estimate_hours", "estimated_hours", spell=as_float),
        N("custom.permit", value=lambda r: "PTW-2291", custom=True),
    ],
    "inventory_item": [
        N("id", "id", read_only=True),
        N("part_number", "sku"),
        N("title", "name"),
        N("stock.on_hand", "quantity_on_hand", spell=as_float, read_only=True),
        N("stock.unit", "unit"),
        N("stock.bin", "location"),
        N("stock.reorder_at", "reorder_point", spell=as_float),
        N("cost", "unit_cost", spell=as_float),
        N("active", "active"),
        N("custom.hazard_class", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("id", "id", read_only=True),
        N("tag", "tag"),
        N("label", "name"),
        N("state", "status"),
        N("site.area", "location"),
        N("maker", "manufacturer"),
        N("serial", "serial_number"),
        N("in_service_since", "install_date"),
        N("criticality", "criticality"),
        N("custom.inspection_cycle", value=lambda r: "Quarterly", custom=True),
    ],
    "vendor": [
        N("id", "id", read_only=True),
        N("legal_name", "name"),
        N("vat", "tax_id"),
        N("contact.email", "email"),
        N("contact.phone", "phone"),
        N("country", "country"),
        N("terms", "payment_terms"),
        N("active", "active"),
        N("custom.preferred_carrier", value=lambda r: "DHL Freight", custom=True),
    ],
}

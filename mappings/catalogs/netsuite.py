"""NetSuite (the REST record service): camelCase names, references as `{id, refName}` objects,
line items under `item.items`, dates as the account's preference (`11/02/2026`), custom fields
as `custbody_` (header) and `custcol_` (line).
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float

US_DATE = "%m/%d/%Y"

ENTITIES = {
    "purchase_order": [
        N("id", "id", read_only=True, description="Internal id"),
        N("tranId", "number"),
        N("entity.id", "vendor_id"),
        N("entity.refName", value=lambda r: f"Vendor {r['vendor_id']}"),
        N(
            "status.id",
            "status",
            vmap={
                "pendingSupApproval": "draft",
                "partiallyReceived": "open",
                "pendingReceipt": "approved",
                "pendingBill": "received",
                "fullyBilled": "closed",
                "closed": "cancelled",
            },
        ),
        N("currency.refName", "currency"),
        N("total", "total", spell=as_float, read_only=True),
        N("tranDate", "order_date", fmt=US_DATE),
        N("custbody_expected_delivery", "expected_at", custom=True),
        N("approvalStatus.id", "approved", vmap={"2": True, "1": False}),
        N("subsidiary.refName", value=lambda r: "Acme Europe GmbH"),
        N("lastModifiedDate", value=lambda r: "2026-11-23T10:15:00Z", read_only=True),
        N("custbody_plant_section", value=lambda r: "Press shop", custom=True),
        N(
            "item.items",
            "lines",
            items=(
                N("line", "line_number"),
                N("item.refName", "material"),
                N("description", "description"),
                N("quantity", "quantity", spell=as_float),
                N("units", "unit"),
                N("rate", "unit_price", spell=as_float),
                N("amount", value=lambda line: float(line["quantity"]) * float(line["unit_price"])),
                N("custcol_cost_center", value=lambda line: "CC-4711", custom=True),
            ),
        ),
    ],
    "work_order": [
        N("id", "id", read_only=True),
        N("tranId", "number"),
        N("memo", "title"),
        N(
            "status.id",
            "status",
            vmap={
                "pendingBuild": "open",
                "inProgress": "in_progress",
                "onHold": "on_hold",
                "built": "completed",
                "closed": "cancelled",
            },
        ),
        N(
            "custbody_priority.refName",
            "priority",
            vmap={"Low": "low", "Medium": "medium", "High": "high", "Urgent": "urgent"},
            custom=True,
        ),
        N("assemblyItem.refName", "asset_id"),
        N("custbody_assigned_crew", "assigned_to", custom=True),
        N("endDate", "due_at"),
        N("createdDate", "created_at", read_only=True),
        N("custbody_estimated_hours", "estimated_hours", spell=as_float, custom=True),
        N("location.refName", value=lambda r: "Plant 1"),
    ],
    "inventory_item": [
        N("id", "id", read_only=True),
        N("itemId", "sku"),
        N("displayName", "name"),
        N("quantityOnHand", "quantity_on_hand", spell=as_float, read_only=True),
        N("stockUnit.refName", "unit"),
        N("location.refName", "location"),
        N("reorderPoint", "reorder_point", spell=as_float),
        N("cost", "unit_cost", spell=as_float),
        N("isInactive", "active", vmap={False: True, True: False}),
        N("custitem_hazard_class", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("id", "id", read_only=True),
        N("custrecord_asset_tag", "tag", custom=True),
        N("name", "name"),
        N(
            "custrecord_asset_status.refName",
            "status",
            vmap={"In Service": "operating", "Out of Service": "down", "Disposed": "retired"},
            custom=True,
        ),
        N("custrecord_asset_location.refName", "location", custom=True),
        N("custrecord_asset_manufacturer", "manufacturer", custom=True),
        N("custrecord_asset_serial_no", "serial_number", custom=True),
        N("custrecord_asset_deprstartdate", "install_date", fmt=US_DATE, custom=True),
        N("custrecord_asset_criticality", "criticality", custom=True),
    ],
    "vendor": [
        N("id", "id", read_only=True),
        N("companyName", "name"),
        N("taxIdNum", "tax_id"),
        N("email", "email"),
        N("phone", "phone"),
        N("defaultAddress.country.id", "country"),
        N("terms.refName", "payment_terms"),
        N("isInactive", "active", vmap={False: True, True: False}),
        N("category.refName", value=lambda r: "Supplier"),
        N("custentity_preferred_carrier", value=lambda r: "DHL Freight", custom=True),
    ],
}

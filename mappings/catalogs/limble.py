"""Limble CMMS (REST API v2): camelCase names with an `ID` suffix for keys, integer ids, Unix
timestamps in seconds, custom fields as a `customFields` object keyed by field name.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float, as_int

ENTITIES = {
    "purchase_order": [
        N("poID", "id", spell=as_int, read_only=True),
        N("number", "number"),
        N("vendorID", "vendor_id", spell=as_int),
        N(
            "statusID",
            "status",
            vmap={0: "draft", 1: "open", 2: "approved", 3: "received", 4: "closed", 5: "cancelled"},
        ),
        N("currency", "currency"),
        N("total", "total", spell=as_float, read_only=True),
        N("dateCreated", "order_date", fmt="epoch_s", read_only=True),
        N("expectedDate", "expected_at", fmt="epoch_s"),
        N("approved", "approved"),
        N("locationID", value=lambda r: 2041),
        N("customFields.Plant Section", value=lambda r: "Press shop", custom=True),
        N(
            "items",
            "lines",
            items=(
                N("lineNumber", "line_number"),
                N("partNumber", "material"),
                N("name", "description"),
                N("qty", "quantity", spell=as_float),
                N("unit", "unit"),
                N("price", "unit_price", spell=as_float),
                N("partID", value=lambda line: 55012),
            ),
        ),
    ],
    "work_order": [
        N("taskID", "id", spell=as_int, read_only=True),
        N("workOrderNumber", "number"),
        N("name", "title"),
        N(
            "statusID",
            "status",
            vmap={0: "open", 1: "in_progress", 2: "on_hold", 3: "completed", 4: "cancelled"},
        ),
        N("priority", "priority", vmap={1: "low", 2: "medium", 3: "high", 4: "urgent"}),
        N("assetName", "asset_id"),
        N("assignedToName", "assigned_to"),
        N("due", "due_at", fmt="epoch_s"),
        N("createdDate", "created_at", fmt="epoch_s", read_only=True),
        N("estimatedTime", "estimated_hours", spell=as_float),
        N("locationID", value=lambda r: 2041),
        N("customFields.Permit", value=lambda r: "PTW-2291", custom=True),
    ],
    "inventory_item": [
        N("partID", "id", spell=as_int, read_only=True),
        N("number", "sku"),
        N("name", "name"),
        N("qty", "quantity_on_hand", spell=as_float),
        N("unit", "unit"),
        N("location", "location"),
        N("minQty", "reorder_point", spell=as_float),
        N("price", "unit_cost", spell=as_float),
        N("active", "active"),
        N("customFields.Hazard Class", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("assetID", "id", spell=as_int, read_only=True),
        N("tag", "tag"),
        N("name", "name"),
        N(
            "statusName",
            "status",
            vmap={"Running": "operating", "Down": "down", "Retired": "retired"},
        ),
        N("locationName", "location"),
        N("fields.Manufacturer", "manufacturer"),
        N("fields.Serial Number", "serial_number"),
        N("fields.Install Date", "install_date", fmt="epoch_s"),
        N("criticality", "criticality"),
        N("parentAssetID", value=lambda r: 0),
        N("customFields.Inspection Cycle", value=lambda r: "Quarterly", custom=True),
    ],
    "vendor": [
        N("vendorID", "id", spell=as_int, read_only=True),
        N("name", "name"),
        N("taxID", "tax_id"),
        N("email", "email"),
        N("phone", "phone"),
        N("country", "country"),
        N("paymentTerms", "payment_terms"),
        N("active", "active"),
        N("customFields.Preferred Carrier", value=lambda r: "DHL Freight", custom=True),
    ],
}

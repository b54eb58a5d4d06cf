"""eMaint CMMS (Fluke; its REST API returns table rows): `snake_case` column names with a table
prefix, dates as `MM/DD/YYYY`, Y/N flags, numeric values as strings, `udf_` user-defined fields.
"""

from mappings.catalogs import Native as N

US_DATE = "%m/%d/%Y"
US_STAMP = "%m/%d/%Y %H:%M:%S"
YES_NO = {"Y": True, "N": False}

ENTITIES = {
    "purchase_order": [
        N("po_id", "id", read_only=True),
        N("po_number", "number"),
        N("po_vendor_id", "vendor_id"),
        N(
            "po_status",
            "status",
            vmap={
                "PENDING": "draft",
                "OPEN": "open",
                "APPROVED": "approved",
                "RECEIVED": "received",
                "CLOSED": "closed",
                "VOID": "cancelled",
            },
        ),
        N("po_currency", "currency"),
        N("po_total", "total"),
        N("po_date", "order_date", fmt=US_DATE),
        N("po_due_date", "expected_at", fmt=US_STAMP),
        N("po_approved", "approved", vmap=YES_NO),
        N("po_site", value=lambda r: "MAIN"),
        N("udf_plant_section", value=lambda r: "Press shop", custom=True),
        N(
            "po_lines",
            "lines",
            items=(
                N("pol_line", "line_number", spell=str),
                N("pol_part", "material"),
                N("pol_desc", "description"),
                N("pol_qty", "quantity"),
                N("pol_uom", "unit"),
                N("pol_unit_cost", "unit_price"),
            ),
        ),
    ],
    "work_order": [
        N("wo_id", "id", read_only=True),
        N("wo_number", "number"),
        N("wo_desc", "title"),
        N(
            "wo_status",
            "status",
            vmap={
                "OPEN": "open",
                "INPROG": "in_progress",
                "HOLD": "on_hold",
                "COMPLETE": "completed",
                "CANCEL": "cancelled",
            },
        ),
        N("wo_priority", "priority", vmap={"4": "low", "3": "medium", "2": "high", "1": "urgent"}),
        N("wo_asset", "asset_id"),
        N("wo_assigned", "assigned_to"),
        N("wo_due", "due_at", fmt=US_STAMP),
        N("wo_created", "created_at", fmt=US_STAMP, read_only=True),
        N("wo_est_hours", "estimated_hours"),
        N("udf_permit", value=lambda r: "PTW-2291", custom=True),
    ],
    "inventory_item": [
        N("inv_id", "id", read_only=True),
        N("inv_part", "sku"),
        N("inv_desc", "name"),
        N("inv_on_hand", "quantity_on_hand", read_only=True),
        N("inv_uom", "unit"),
        N("inv_bin", "location"),
        N("inv_reorder", "reorder_point"),
        N("inv_cost", "unit_cost"),
        N("inv_active", "active", vmap=YES_NO),
        N("udf_hazard_class", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("as_id", "id", read_only=True),
        N("as_tag", "tag"),
        N("as_desc", "name"),
        N(
            "as_status",
            "status",
            vmap={"ACTIVE": "operating", "DOWN": "down", "RETIRED": "retired"},
        ),
        N("as_location", "location"),
        N("as_mfg", "manufacturer"),
        N("as_serial", "serial_number"),
        N("as_install", "install_date", fmt=US_DATE),
        N("as_criticality", "criticality", spell=str),
        N("udf_inspection_cycle", value=lambda r: "Quarterly", custom=True),
    ],
    "vendor": [
        N("vn_id", "id", read_only=True),
        N("vn_name", "name"),
        N("vn_tax_id", "tax_id"),
        N("vn_email", "email"),
        N("vn_phone", "phone"),
        N("vn_country", "country"),
        N("vn_terms", "payment_terms"),
        N("vn_active", "active", vmap=YES_NO),
        N("udf_preferred_carrier", value=lambda r: "DHL Freight", custom=True),
    ],
}

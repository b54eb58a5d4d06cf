"""IBM Maximo (the JSON REST API over object structures such as MXAPIPO): lowercase attribute
names, numeric ids, timestamps with the site's offset, child objects as arrays (`poline`), and
customer-added attributes, here with the `cx` prefix.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float, as_int, zoned

LOCAL = zoned("-05:00")

ENTITIES = {
    "purchase_order": [
        N("poid", "id", spell=as_int, read_only=True, description="Internal unique id"),
        N("ponum", "number"),
        N("vendor", "vendor_id"),
        N(
            "status",
            "status",
            vmap={
                "WAPPR": "draft",
                "INPRG": "open",
                "APPR": "approved",
                "COMP": "received",
                "CLOSE": "closed",
                "CAN": "cancelled",
            },
        ),
        N("currencycode", "currency"),
        N("totalcost", "total", spell=as_float),
        N("orderdate", "order_date", spell=LOCAL),
        N("requireddate", "expected_at", spell=LOCAL),
        N("approvedflag", "approved"),
        N("siteid", value=lambda r: "BEDFORD"),
        N("orgid", value=lambda r: "EAGLENA"),
        N("changeby", value=lambda r: "MAXADMIN", read_only=True),
        N("_rowstamp", value=lambda r: "1582394", read_only=True),
        N("cxplantsection", value=lambda r: "Press shop", custom=True),
        N(
            "poline",
            "lines",
            items=(
                N("polinenum", "line_number"),
                N("itemnum", "material"),
                N("description", "description"),
                N("orderqty", "quantity", spell=as_float),
                N("orderunit", "unit"),
                N("unitcost", "unit_price", spell=as_float),
                N("storeloc", value=lambda line: "CENTRAL"),
                N("cxglaccount", value=lambda line: "6100-200-350", custom=True),
            ),
        ),
    ],
    "work_order": [
        N("workorderid", "id", spell=as_int, read_only=True),
        N("wonum", "number"),
        N("description", "title"),
        N(
            "status",
            "status",
            vmap={
                "WAPPR": "open",
                "INPRG": "in_progress",
                "WSCH": "on_hold",
                "COMP": "completed",
                "CAN": "cancelled",
            },
        ),
        N("wopriority", "priority", vmap={4: "low", 3: "medium", 2: "high", 1: "urgent"}),
        N("assetnum", "asset_id"),
        N("lead", "assigned_to"),
        N("targcompdate", "due_at", spell=LOCAL),
        N("reportdate", "created_at", spell=LOCAL, read_only=True),
        N("estdur", "estimated_hours", spell=as_float),
        N("siteid", value=lambda r: "BEDFORD"),
        N("worktype", value=lambda r: "CM"),
        N("cxpermitnum", value=lambda r: "PTW-2291", custom=True),
    ],
    "inventory_item": [
        N("inventoryid", "id", spell=as_int, read_only=True),
        N("itemnum", "sku"),
        N("item.description", "name"),
        N("curbaltotal", "quantity_on_hand", spell=as_float, read_only=True),
        N("issueunit", "unit"),
        N("binnum", "location"),
        N("minlevel", "reorder_point", spell=as_float),
        N("avgcost", "unit_cost", spell=as_float, read_only=True),
        N("status", "active", vmap={"ACTIVE": True, "OBSOLETE": False}),
        N("location", value=lambda r: "CENTRAL"),
        N("cxhazmat", value=lambda r: False, custom=True),
    ],
    "asset": [
        N("assetuid", "id", spell=as_int, read_only=True),
        N("assetnum", "tag"),
        N("description", "name"),
        N(
            "status",
            "status",
            vmap={"OPERATING": "operating", "BROKEN": "down", "DECOMMISSIONED": "retired"},
        ),
        N("location", "location"),
        N("manufacturer", "manufacturer"),
        N("serialnum", "serial_number"),
        N("installdate", "install_date", spell=LOCAL),
        N("priority", "criticality"),
        N("siteid", value=lambda r: "BEDFORD"),
        N("cxinspectioncycle", value=lambda r: "QUARTERLY", custom=True),
    ],
    "vendor": [
        N("companiesid", "id", spell=as_int, read_only=True),
        N("name", "name"),
        N("taxexemptcode", "tax_id"),
        N("companycontact.email", "email"),
        N("phone", "phone"),
        N("country", "country"),
        N("paymentterms", "payment_terms"),
        N("disabled", "active", vmap={False: True, True: False}),
        N("type", value=lambda r: "V"),
        N("cxpreferredcarrier", value=lambda r: "UPS Freight", custom=True),
    ],
}

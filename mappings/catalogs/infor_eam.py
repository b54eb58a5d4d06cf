"""Infor EAM (its REST/JSON services): upper-case business-object names, codes wrapped in
`{CODE, DESCRIPTION}` objects, organisation on every record, dates as `YYYY-MM-DD HH:MM`
(site time), `UDF` user-defined fields.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float

STAMP = "%Y-%m-%d %H:%M"


ENTITIES = {
    "purchase_order": [
        N("PURCHASEORDERID.PURCHASEORDERCODE", "id", read_only=True),
        N("EXTERNALREFERENCE", "number"),
        N("SUPPLIERID.SUPPLIERCODE", "vendor_id"),
        N(
            "STATUS.STATUSCODE",
            "status",
            vmap={
                "U": "draft",
                "O": "open",
                "A": "approved",
                "R": "received",
                "C": "closed",
                "CANC": "cancelled",
            },
        ),
        N("CURRENCYCODE", "currency"),
        N("TOTALVALUE", "total", spell=as_float, read_only=True),
        N("ORDERDATE", "order_date", fmt="%Y-%m-%d"),
        N("DUEDATE", "expected_at", fmt=STAMP),
        N("APPROVED", "approved", vmap={"+": True, "-": False}),
        N("PURCHASEORDERID.ORGANIZATIONID.ORGANIZATIONCODE", value=lambda r: "ACME"),
        N("USERDEFINEDAREA.UDFCHAR01", value=lambda r: "Press shop", custom=True),
        N(
            "PURCHASEORDERPART",
            "lines",
            items=(
                N("LINENUMBER", "line_number"),
                N("PARTID.PARTCODE", "material"),
                N("PARTID.DESCRIPTION", "description"),
                N("ORDERQUANTITY", "quantity", spell=as_float),
                N("UOM", "unit"),
                N("PRICE", "unit_price", spell=as_float),
            ),
        ),
    ],
    "work_order": [
        N("WORKORDERID.JOBNUM", "id", read_only=True),
        N("WORKORDERID.JOBCODE", "number"),
        N("WORKORDERID.DESCRIPTION", "title"),
        N(
            "STATUS.STATUSCODE",
            "status",
            vmap={
                "R": "open",
                "IP": "in_progress",
                "H": "on_hold",
                "C": "completed",
                "CANC": "cancelled",
            },
        ),
        N(
            "PRIORITY.PRIORITYCODE",
            "priority",
            vmap={"L": "low", "M": "medium", "H": "high", "E": "urgent"},
        ),
        N("EQUIPMENTID.EQUIPMENTCODE", "asset_id"),
        N("ASSIGNEDTO.PERSONCODE", "assigned_to"),
        N("SCHEDEND", "due_at", fmt=STAMP),
        N("REPORTED", "created_at", fmt=STAMP, read_only=True),
        N("ESTIMATEDHOURS", "estimated_hours", spell=as_float),
        N("USERDEFINEDAREA.UDFCHAR02", value=lambda r: "PTW-2291", custom=True),
    ],
    "inventory_item": [
        N("STOCKID", "id", read_only=True),
        N("PARTID.PARTCODE", "sku"),
        N("PARTID.DESCRIPTION", "name"),
        N("QTYONHAND", "quantity_on_hand", spell=as_float, read_only=True),
        N("UOM", "unit"),
        N("BIN", "location"),
        N("REORDERLEVEL", "reorder_point", spell=as_float),
        N("AVERAGEPRICE", "unit_cost", spell=as_float, read_only=True),
        N("OUTOFSERVICE", "active", vmap={"-": True, "+": False}),
        N("STOREID.STORECODE", value=lambda r: "MAIN"),
        N("USERDEFINEDAREA.UDFCHAR05", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("ASSETID.ASSETNUM", "id", read_only=True),
        N("ASSETID.EQUIPMENTCODE", "tag"),
        N("ASSETID.DESCRIPTION", "name"),
        N("STATUS.STATUSCODE", "status", vmap={"I": "operating", "D": "down", "W": "retired"}),
        N("LOCATIONID.LOCATIONCODE", "location"),
        N("MANUFACTURERID.MANUFACTURERCODE", "manufacturer"),
        N("SERIALNUMBER", "serial_number"),
        N("COMMISSIONDATE", "install_date", fmt="%Y-%m-%d"),
        N("CRITICALITY", "criticality", spell=str),
        N("USERDEFINEDAREA.UDFCHAR03", value=lambda r: "Quarterly", custom=True),
    ],
    "vendor": [
        N("SUPPLIERID.SUPPLIERCODE", "id", read_only=True),
        N("SUPPLIERID.DESCRIPTION", "name"),
        N("TAXCODE", "tax_id"),
        N("EMAIL", "email"),
        N("PHONE", "phone"),
        N("COUNTRY", "country"),
        N("PAYMENTTERMS", "payment_terms"),
        N("NOTUSED", "active", vmap={"-": True, "+": False}),
        N("USERDEFINEDAREA.UDFCHAR04", value=lambda r: "DHL Freight", custom=True),
    ],
}

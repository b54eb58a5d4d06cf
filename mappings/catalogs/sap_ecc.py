"""SAP ECC (RFC/BAPI tables such as EKKO/EKPO, AUFK, MARA/MARD, EQUI, LFA1): upper-case German
abbreviations, DATS dates, `YYYYMMDDhhmmss` UTC timestamps, padded numbers, `ZZ` custom fields.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import fixed

TIMESTAMP = "%Y%m%d%H%M%S"

ENTITIES = {
    "purchase_order": [
        N("EBELN", "id", read_only=True, description="Purchasing document"),
        N("IHREZ", "number", description="Your reference"),
        N("LIFNR", "vendor_id"),
        N(
            "STATU",
            "status",
            vmap={
                "A": "draft",
                "B": "open",
                "F": "approved",
                "W": "received",
                "E": "closed",
                "L": "cancelled",
            },
        ),
        N("WAERS", "currency"),
        N("RLWRT", "total", spell=fixed(2)),
        N("BEDAT", "order_date", fmt="%Y%m%d"),
        N("ZZ_DELIVERY_TS", "expected_at", fmt=TIMESTAMP, custom=True),
        N("FRGKE", "approved", vmap={"2": True, "1": False}),
        N("BUKRS", value=lambda r: "1000"),
        N("EKORG", value=lambda r: "1000"),
        N("ERNAM", value=lambda r: "PURCHASER1", read_only=True),
        N("ZZPLANTSEC", value=lambda r: "Press shop", custom=True),
        N(
            "EKPO",
            "lines",
            items=(
                N("EBELP", "line_number", spell=lambda n: f"{n:05d}"),
                N("MATNR", "material"),
                N("TXZ01", "description"),
                N("MENGE", "quantity", spell=fixed(3)),
                N("MEINS", "unit"),
                N("NETPR", "unit_price", spell=fixed(2)),
                N("WERKS", value=lambda line: "1000"),
            ),
        ),
    ],
    "work_order": [
        N("AUFNR", "id", read_only=True),
        N("ZZ_WONUM", "number", custom=True),
        N("KTEXT", "title"),
        N(
            "SYSTEM_STATUS",
            "status",
            vmap={
                "CRTD": "open",
                "REL": "in_progress",
                "PCNF": "on_hold",
                "TECO": "completed",
                "DLFL": "cancelled",
            },
            read_only=True,
        ),
        N("PRIOK", "priority", vmap={"4": "low", "3": "medium", "2": "high", "1": "urgent"}),
        N("EQUNR", "asset_id"),
        N("VAPLZ", "assigned_to"),
        N("ZZ_DUE_TS", "due_at", fmt=TIMESTAMP, custom=True),
        N("ERDAT_TS", "created_at", fmt=TIMESTAMP, read_only=True),
        N("ARBEI", "estimated_hours", spell=fixed(1)),
        N("IWERK", value=lambda r: "1000"),
    ],
    "inventory_item": [
        N("ZZ_ITEM_ID", "id", read_only=True, custom=True),
        N("MATNR", "sku"),
        N("MAKTX", "name"),
        N("LABST", "quantity_on_hand", spell=fixed(3), read_only=True),
        N("MEINS", "unit"),
        N("LGPBE", "location"),
        N("MINBE", "reorder_point", spell=fixed(3)),
        N("VERPR", "unit_cost", spell=fixed(2)),
        N("LVORM", "active", vmap={"": True, "X": False}),
        N("WERKS", value=lambda r: "1000"),
        N("LGORT", value=lambda r: "0001"),
    ],
    "asset": [
        N("EQUNR", "id", read_only=True),
        N("TIDNR", "tag"),
        N("EQKTX", "name"),
        N("STATUS", "status", vmap={"INST": "operating", "BRKD": "down", "INAC": "retired"}),
        N("STORT", "location"),
        N("HERST", "manufacturer"),
        N("SERGE", "serial_number"),
        N("INBDT", "install_date", fmt="%Y%m%d"),
        N("ABCKZ", "criticality", spell=str),
        N("ZZINSPCYC", value=lambda r: "Q", custom=True),
    ],
    "vendor": [
        N("LIFNR", "id", read_only=True),
        N("NAME1", "name"),
        N("STCEG", "tax_id"),
        N("SMTP_ADDR", "email"),
        N("TELF1", "phone"),
        N("LAND1", "country"),
        N("ZTERM_TEXT", "payment_terms"),
        N("SPERR", "active", vmap={"": True, "X": False}),
        N("KTOKK", value=lambda r: "KRED"),
        N("ZZCARRIER", value=lambda r: "DHL Freight", custom=True),
    ],
}

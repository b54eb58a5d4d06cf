"""The sample records in unified form: every system's samples are these, spelled natively.

Values are as the engine outputs them: dates ISO 8601, datetimes in UTC with `Z`, decimals as
normalised strings.
"""

from __future__ import annotations


def line(number, material, description, quantity, unit, price):
    return {
        "line_number": number,
        "material": material,
        "description": description,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
    }


RECORDS: dict[str, list[dict]] = {
    "purchase_order": [
        {
            "id": "100234",
            "number": "PO-100234",
            "vendor_id": "17300001",
            "status": "approved",
            "currency": "EUR",
            "total": "11185",
            "order_date": "2026-11-02",
            "expected_at": "2026-11-20T08:00:00Z",
            "approved": True,
            "lines": [
                line(10, "MAT-10023", "Hydraulic pump seal kit", "24", "EA", "120.5"),
                line(20, "MAT-20417", "Bearing 6205-2RS", "150", "EA", "9.9"),
                line(30, "MAT-88001", "Gear oil ISO VG 220", "40", "L", "170.2"),
            ],
        },
        {
            "id": "100235",
            "number": "PO-100235",
            "vendor_id": "17300042",
            "status": "open",
            "currency": "USD",
            "total": "2310.75",
            "order_date": "2026-11-09",
            "expected_at": "2026-12-01T14:30:00Z",
            "approved": False,
            "lines": [
                line(10, "MAT-55120", "Conveyor belt 800 mm", "35", "M", "61.45"),
                line(20, "MAT-55121", "Belt fastener set", "6", "SET", "26.63"),
            ],
        },
        {
            "id": "100236",
            "number": "PO-100236",
            "vendor_id": "17300007",
            "status": "received",
            "currency": "EUR",
            "total": "486",
            "order_date": "2026-10-15",
            "expected_at": "2026-10-29T06:00:00Z",
            "approved": True,
            "lines": [line(10, "MAT-30990", "Proximity sensor M18", "12", "EA", "40.5")],
        },
    ],
    "work_order": [
        {
            "id": "5001872",
            "number": "WO-5001872",
            "title": "Replace seal on hydraulic pump P-101",
            "status": "in_progress",
            "priority": "high",
            "asset_id": "P-101",
            "assigned_to": "Mechanical crew A",
            "due_at": "2026-11-26T16:00:00Z",
            "created_at": "2026-11-23T07:12:00Z",
            "estimated_hours": "6.5",
        },
        {
            "id": "5001873",
            "number": "WO-5001873",
            "title": "Quarterly inspection of conveyor CV-07",
            "status": "open",
            "priority": "medium",
            "asset_id": "CV-07",
            "assigned_to": "Inspection team",
            "due_at": "2026-12-05T12:00:00Z",
            "created_at": "2026-11-20T09:00:00Z",
            "estimated_hours": "3",
        },
        {
            "id": "5001874",
            "number": "WO-5001874",
            "title": "Calibrate flow meter FM-12",
            "status": "completed",
            "priority": "low",
            "asset_id": "FM-12",
            "assigned_to": "Instrument shop",
            "due_at": "2026-11-15T10:00:00Z",
            "created_at": "2026-11-10T13:45:00Z",
            "estimated_hours": "1.5",
        },
    ],
    "inventory_item": [
        {
            "id": "880101",
            "sku": "MAT-10023",
            "name": "Hydraulic pump seal kit",
            "quantity_on_hand": "18",
            "unit": "EA",
            "location": "Main store / A-03-2",
            "reorder_point": "10",
            "unit_cost": "118.4",
            "active": True,
        },
        {
            "id": "880102",
            "sku": "MAT-20417",
            "name": "Bearing 6205-2RS",
            "quantity_on_hand": "240",
            "unit": "EA",
            "location": "Main store / B-11-4",
            "reorder_point": "100",
            "unit_cost": "9.65",
            "active": True,
        },
        {
            "id": "880103",
            "sku": "MAT-88001",
            "name": "Gear oil ISO VG 220",
            "quantity_on_hand": "62.5",
            "unit": "L",
            "location": "Lubricants room",
            "reorder_point": "50",
            "unit_cost": "4.25",
            "active": False,
        },
    ],
    "asset": [
        {
            "id": "10000451",
            "tag": "P-101",
            "name": "Hydraulic pump P-101",
            "status": "operating",
            "location": "Press line 1",
            "manufacturer": "Bosch Rexroth",
            "serial_number": "A10V-2291847",
            "install_date": "2019-04-12",
            "criticality": 1,
        },
        {
            "id": "10000452",
            "tag": "CV-07",
            "name": "Conveyor CV-07",
            "status": "down",
            "location": "Packing hall",
            "manufacturer": "Interroll",
            "serial_number": "IR-77-00431",
            "install_date": "2021-09-01",
            "criticality": 2,
        },
        {
            "id": "10000453",
            "tag": "FM-12",
            "name": "Flow meter FM-12",
            "status": "retired",
            "location": "Utilities",
            "manufacturer": "Endress+Hauser",
            "serial_number": "EH-PM55-1120",
            "install_date": "2015-02-20",
            "criticality": 4,
        },
    ],
    "vendor": [
        {
            "id": "17300001",
            "name": "Rheinland Hydraulik GmbH",
            "tax_id": "DE811234567",
            "email": "orders@rheinland-hydraulik.example",
            "phone": "+49 211 555 0100",
            "country": "DE",
            "payment_terms": "Net 30",
            "active": True,
        },
        {
            "id": "17300042",
            "name": "Great Lakes Conveyor Supply",
            "tax_id": "38-4412907",
            "email": "sales@glconveyor.example",
            "phone": "+1 313 555 0142",
            "country": "US",
            "payment_terms": "2% 10, Net 45",
            "active": True,
        },
        {
            "id": "17300007",
            "name": "Nordic Sensors AB",
            "tax_id": "SE556677889901",
            "email": "support@nordicsensors.example",
            "phone": "+46 8 555 0107",
            "country": "SE",
            "payment_terms": "Net 60",
            "active": False,
        },
    ],
}

TITLE_FIELDS = {
    "purchase_order": "number",
    "work_order": "number",
    "inventory_item": "sku",
    "asset": "tag",
    "vendor": "name",
}


def title(entity: str, record: dict) -> str:
    return str(record[TITLE_FIELDS[entity]])

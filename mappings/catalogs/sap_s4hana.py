"""SAP S/4HANA (OData APIs such as API_PURCHASEORDER_PROCESS_SRV): PascalCase names, DATS dates
(`20261102`), decimals as strings, `X` flags, and `YY1_` custom fields from key-user extensibility.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import fixed, zoned

FLAG = {"X": True, "": False}

ENTITIES = {
    "purchase_order": [
        N("PurchaseOrder", "id", read_only=True, description="Document number"),
        N("CorrespncExternalReference", "number", description="Your reference"),
        N("Supplier", "vendor_id"),
        N(
            "PurchasingProcessingStatus",
            "status",
            vmap={
                "01": "draft",
                "02": "open",
                "05": "approved",
                "07": "received",
                "08": "closed",
                "09": "cancelled",
            },
            description="Processing status code",
        ),
        N("DocumentCurrency", "currency"),
        N("PurchaseOrderNetAmount", "total", spell=fixed(2)),
        N("PurchaseOrderDate", "order_date", fmt="%Y%m%d"),
        N("ScheduleLineDeliveryDateTime", "expected_at"),
        N("ReleaseIsCompleted", "approved", vmap=FLAG),
        N("CompanyCode", value=lambda r: "1010"),
        N("PurchaseOrderType", value=lambda r: "NB"),
        N("CreatedByUser", value=lambda r: "CB9980000123", read_only=True),
        N("CreationDate", value=lambda r: r["order_date"].replace("-", ""), read_only=True),
        N("YY1_PlantSection_PDH", value=lambda r: "Press shop", custom=True),
        N(
            "to_PurchaseOrderItem.results",
            "lines",
            items=(
                N("PurchaseOrderItem", "line_number", spell=lambda n: f"{n:05d}"),
                N("Material", "material"),
                N("PurchaseOrderItemText", "description"),
                N("OrderQuantity", "quantity", spell=fixed(3)),
                N("PurchaseOrderQuantityUnit", "unit"),
                N("NetPriceAmount", "unit_price", spell=fixed(2)),
                N("Plant", value=lambda line: "1010"),
                N("YY1_CostCenter_PDI", value=lambda line: "CC-4711", custom=True),
            ),
        ),
    ],
    "work_order": [
        N("MaintenanceOrder", "id", read_only=True),
        N("MaintenanceOrderExternalID", "number"),
        N("MaintenanceOrderDesc", "title"),
        N(
            "MaintOrdProcessingPhase",
            "status",
            vmap={
                "0": "open",
                "2": "in_progress",
                "3": "on_hold",
                "4": "completed",
                "6": "cancelled",
            },
        ),
        N(
            "MaintPriority",
            "priority",
            vmap={"4": "low", "3": "medium", "2": "high", "1": "urgent"},
        ),
        N("TechnicalObject", "asset_id"),
        N("MainWorkCenter", "assigned_to"),
        N("MaintOrdBasicEndDateTime", "due_at", spell=zoned("+01:00")),
        N("CreationDateTime", "created_at", read_only=True),
        N("PlannedWorkQuantity", "estimated_hours", spell=fixed(1)),
        N("MaintenancePlanningPlant", value=lambda r: "1010"),
        N("YY1_SafetyPermit_ORD", value=lambda r: "HOT-WORK", custom=True),
    ],
    "inventory_item": [
        N("Product", "id", read_only=True),
        N("ProductExternalID", "sku"),
        N("ProductDescription", "name"),
        N("MatlWrhsStkQtyInMatlBaseUnit", "quantity_on_hand", spell=fixed(3)),
        N("MaterialBaseUnit", "unit"),
        N("StorageLocationName", "location"),
        N("ReorderThresholdQuantity", "reorder_point", spell=fixed(3)),
        N("StandardPrice", "unit_cost", spell=fixed(2)),
        N("IsMarkedForDeletion", "active", vmap={"": True, "X": False}),
        N("Plant", value=lambda r: "1010"),
        N("YY1_HazardClass_PRD", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("Equipment", "id", read_only=True),
        N("TechnicalObjectLabel", "tag"),
        N("EquipmentName", "name"),
        N(
            "EquipUsagePeriodStatus",
            "status",
            vmap={"INST": "operating", "BRKD": "down", "INAC": "retired"},
        ),
        N("FunctionalLocationName", "location"),
        N("AssetManufacturerName", "manufacturer"),
        N("ManufacturerSerialNumber", "serial_number"),
        N("StartupDate", "install_date", fmt="%Y%m%d"),
        N("ABCIndicator", "criticality", spell=str),
        N("MaintenancePlant", value=lambda r: "1010"),
        N("YY1_InspectionCycle_EQU", value=lambda r: "Q", custom=True),
    ],
    "vendor": [
        N("Supplier", "id", read_only=True),
        N("SupplierName", "name"),
        N("VATRegistration", "tax_id"),
        N("EmailAddress", "email"),
        N("PhoneNumber1", "phone"),
        N("Country", "country"),
        N("PaymentTermsName", "payment_terms"),
        N("PostingIsBlocked", "active", vmap={"": True, "X": False}),
        N("SupplierAccountGroup", value=lambda r: "KRED"),
        N("YY1_PreferredCarrier_SUP", value=lambda r: "DHL Freight", custom=True),
    ],
}

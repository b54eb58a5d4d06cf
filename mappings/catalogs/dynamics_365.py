"""Microsoft Dynamics 365 Finance & Supply Chain (OData data entities): PascalCase names,
`dataAreaId` on every row, enum values as names, ISO timestamps, custom fields suffixed `_Custom`.
"""

from mappings.catalogs import Native as N
from mappings.catalogs import as_float


def midnight(text: str) -> str:
    return f"{text}T00:00:00Z"


ENTITIES = {
    "purchase_order": [
        N("PurchaseOrderNumber", "id", read_only=True),
        N("VendorOrderReference", "number"),
        N("OrderVendorAccountNumber", "vendor_id"),
        N(
            "PurchaseOrderStatus",
            "status",
            vmap={
                "Draft": "draft",
                "Backorder": "open",
                "Confirmed": "approved",
                "Received": "received",
                "Invoiced": "closed",
                "Canceled": "cancelled",
            },
        ),
        N("CurrencyCode", "currency"),
        N("TotalOrderAmount", "total", spell=as_float, read_only=True),
        N("AccountingDate", "order_date", spell=midnight),
        N("RequestedDeliveryDate", "expected_at"),
        N("DocumentApprovalStatus", "approved", vmap={"Approved": True, "Draft": False}),
        N("dataAreaId", value=lambda r: "usmf"),
        N("PlantSection_Custom", value=lambda r: "Press shop", custom=True),
        N(
            "PurchaseOrderLines",
            "lines",
            items=(
                N("LineNumber", "line_number"),
                N("ItemNumber", "material"),
                N("LineDescription", "description"),
                N("OrderedPurchaseQuantity", "quantity", spell=as_float),
                N("PurchaseUnitSymbol", "unit"),
                N("PurchasePrice", "unit_price", spell=as_float),
                N("dataAreaId", value=lambda line: "usmf"),
            ),
        ),
    ],
    "work_order": [
        N("WorkOrderId", "id", read_only=True),
        N("WorkOrderNumber", "number"),
        N("Description", "title"),
        N(
            "WorkOrderLifecycleStateId",
            "status",
            vmap={
                "Created": "open",
                "InProgress": "in_progress",
                "Paused": "on_hold",
                "Finished": "completed",
                "Cancelled": "cancelled",
            },
        ),
        N("ServiceLevel", "priority", vmap={5: "low", 4: "medium", 2: "high", 1: "urgent"}),
        N("AssetId", "asset_id"),
        N("ResponsibleWorkerGroupId", "assigned_to"),
        N("ExpectedEnd", "due_at"),
        N("CreatedDateTime", "created_at", read_only=True),
        N("EstimatedHours_Custom", "estimated_hours", spell=as_float, custom=True),
        N("dataAreaId", value=lambda r: "usmf"),
    ],
    "inventory_item": [
        N("RecId", "id", spell=int, read_only=True),
        N("ItemNumber", "sku"),
        N("ProductName", "name"),
        N("OnHandQuantity", "quantity_on_hand", spell=as_float, read_only=True),
        N("InventoryUnitSymbol", "unit"),
        N("WarehouseLocationId", "location"),
        N("MinimumInventoryQuantity", "reorder_point", spell=as_float),
        N("UnitCost", "unit_cost", spell=as_float),
        N("IsStopped", "active", vmap={"No": True, "Yes": False}),
        N("dataAreaId", value=lambda r: "usmf"),
        N("HazardClass_Custom", value=lambda r: "none", custom=True),
    ],
    "asset": [
        N("ObjectId", "id", read_only=True),
        N("AssetTag_Custom", "tag", custom=True),
        N("Name", "name"),
        N(
            "ObjectLifecycleStateId",
            "status",
            vmap={"Active": "operating", "Breakdown": "down", "Decommissioned": "retired"},
        ),
        N("FunctionalLocation", "location"),
        N("Manufacturer", "manufacturer"),
        N("SerialNumber", "serial_number"),
        N("ActiveFrom", "install_date", spell=midnight),
        N("CriticalityId", "criticality"),
        N("dataAreaId", value=lambda r: "usmf"),
    ],
    "vendor": [
        N("VendorAccountNumber", "id", read_only=True),
        N("VendorOrganizationName", "name"),
        N("TaxExemptNumber", "tax_id"),
        N("PrimaryEmailAddress", "email"),
        N("PrimaryPhoneNumber", "phone"),
        N("AddressCountryRegionISOCode", "country"),
        N("PaymentTermsName", "payment_terms"),
        N("OnHoldStatus", "active", vmap={"No": True, "All": False}),
        N("dataAreaId", value=lambda r: "usmf"),
        N("PreferredCarrier_Custom", value=lambda r: "DHL Freight", custom=True),
    ],
}

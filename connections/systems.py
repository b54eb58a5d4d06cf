"""The catalog of industrial systems a customer can connect, and the environments they run in.

A connection's health has its own vocabulary, next to its state machine: `health.vocabulary`.
"""

from django.db import models


class System(models.TextChoices):
    SAP_S4HANA = "sap_s4hana", "SAP S/4HANA"
    SAP_ECC = "sap_ecc", "SAP ECC"
    IBM_MAXIMO = "ibm_maximo", "IBM Maximo"
    FIIX = "fiix", "Fiix"
    NETSUITE = "netsuite", "NetSuite"
    DYNAMICS_365 = "dynamics_365", "Microsoft Dynamics 365"
    UPKEEP = "upkeep", "UpKeep"
    LIMBLE = "limble", "Limble"
    EMAINT = "emaint", "eMaint"
    INFOR_EAM = "infor_eam", "Infor EAM"
    SANDBOX = "sandbox", "Sandbox"


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"
    DEVELOPMENT = "development", "Development"

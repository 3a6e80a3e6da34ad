"""What the Acronis offering items are, as data: display names, units, billability, unit conversions.

A SKU is a usage's ``name``: the offering item name with its edition prefix (``pw_base_vms``,
``pg_base_storage``...). The table below is built from two small tables (editions x workloads) plus
items that exist in one edition only. A SKU missing from it is still counted; the hub shows it as
unmapped until someone names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GIB = Decimal(1024) ** 3


@dataclass(frozen=True)
class Conversion:
    """How one ``measurement_unit`` becomes a billing quantity: divide, then round."""

    divisor: Decimal
    unit: str | None
    #: quantum of the rounded quantity (None: keep the value as Acronis sent it)
    quantum: Decimal | None

    def apply(self, value: Decimal) -> Decimal:
        quantity = value / self.divisor
        return quantity.quantize(self.quantum, rounding=ROUND_HALF_UP) if self.quantum is not None else quantity


#: measurement_unit -> conversion. Bytes are billed in GB of 1024^3 bytes (the Management Portal's
#: convention) rounded half-up to 2 decimals; seconds (disaster-recovery compute) in hours, 2 decimals.
CONVERSIONS: dict[str, Conversion] = {
    "bytes": Conversion(GIB, "GB", Decimal("0.01")),
    "seconds": Conversion(Decimal(3600), "hour", Decimal("0.01")),
    "quantity": Conversion(Decimal(1), None, None),
    "n/a": Conversion(Decimal(1), None, None),
}

#: usage ``type`` values that are on/off flags, never billed quantities
NOT_BILLED_TYPES = frozenset({"feature"})


@dataclass(frozen=True)
class SkuInfo:
    name: str
    unit: str
    billable: bool = True


#: edition prefix -> how the edition is shown
EDITIONS = {
    "pw_base_": "per workload",
    "pg_base_": "per gigabyte",
}

#: workload (offering item name without edition prefix) -> (display name, unit)
WORKLOADS = {
    "workstations": ("Workstations", "workstation"),
    "servers": ("Servers", "server"),
    "vms": ("Virtual machines", "VM"),
    "virtual_hosts": ("Virtual hosts", "host"),
    "web_hosting_servers": ("Web hosting servers", "server"),
    "mobiles": ("Mobile devices", "device"),
    "m365_seats": ("Microsoft 365 seats", "seat"),
    "m365_sharepoint_sites": ("Microsoft 365 SharePoint sites", "site"),
    "m365_teams": ("Microsoft 365 Teams", "team"),
    "gworkspace_seats": ("Google Workspace seats", "seat"),
    "websites": ("Websites", "website"),
    "storage": ("Backup storage (cloud)", "GB"),
    "adv_dr_storage": ("Disaster recovery storage", "GB"),
    "adv_dr_compute_points": ("Disaster recovery compute points", "hour"),
    "adv_dr_cloud_servers": ("Disaster recovery cloud servers", "server"),
}

#: on/off features some editions report in usages; never billed (their rows are skipped anyway)
FEATURES = {
    "dr_base": "Disaster recovery (feature)",
    "adv_dr_internet_access": "Disaster recovery internet access (feature)",
    "m365_mailboxes": "Microsoft 365 mailbox backup (feature)",
    "m365_onedrive": "Microsoft 365 OneDrive backup (feature)",
    "google_mail": "Google Workspace mail backup (feature)",
    "google_drive": "Google Workspace drive backup (feature)",
    "google_team_drive": "Google Workspace shared drives backup (feature)",
}

#: items outside the edition scheme: advanced packs (per workload only), Sync & Share, local storage
OTHERS: dict[str, SkuInfo] = {
    "pw_pack_adv_backup_workstations": SkuInfo("Advanced Backup pack: workstations", "workstation"),
    "pw_pack_adv_backup_servers": SkuInfo("Advanced Backup pack: servers", "server"),
    "pw_pack_adv_backup_vms": SkuInfo("Advanced Backup pack: virtual machines", "VM"),
    "pw_pack_adv_backup_web_hosting_servers": SkuInfo("Advanced Backup pack: web hosting servers", "server"),
    "pw_pack_adv_security": SkuInfo("Advanced Security pack", "workload"),
    "pw_pack_adv_management": SkuInfo("Advanced Management pack", "workload"),
    "pw_pack_adv_email_security": SkuInfo("Advanced Email Security pack", "mailbox"),
    "pw_pack_adv_dlp": SkuInfo("Advanced Data Loss Prevention pack", "workload"),
    "pu_base_fc_seats": SkuInfo("File Sync & Share users", "user"),
    "pu_base_fc_storage": SkuInfo("File Sync & Share storage", "GB"),
    "pg_base_fc_storage": SkuInfo("File Sync & Share storage (per gigabyte)", "GB"),
    "local_storage": SkuInfo("Local backup storage (informational)", "GB", billable=False),
}


def _build_table() -> dict[str, SkuInfo]:
    table: dict[str, SkuInfo] = {}
    for prefix, edition in EDITIONS.items():
        for workload, (name, unit) in WORKLOADS.items():
            table[prefix + workload] = SkuInfo(f"{name} ({edition})", unit)
        for feature, name in FEATURES.items():
            table[prefix + feature] = SkuInfo(name, "feature", billable=False)
    table.update(OTHERS)
    return table


SKUS: dict[str, SkuInfo] = _build_table()


def product_code(sku: str) -> str:
    """A suggested catalog code: ACR-PW-BASE-VMS for pw_base_vms."""
    return "ACR-" + sku.upper().replace("_", "-")

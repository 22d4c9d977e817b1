# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One call of every module that speaks to an appliance, with the connection options a test gives.

A module that reads one appliance takes the connection options as its own
arguments; a fleet module (``appliance_status_info``, ``atlas_preflight``,
``certificate_plan``) takes them in its entry of ``appliances``, and reports an
appliance's failure in that entry. :func:`probe_tasks` makes the tasks and
:func:`probe_outcome` reads either kind of result back as ``(failed, msg)``.
These calls are for connections that must fail before anything is sent: some
would change the appliance if they got through.
"""

from __future__ import annotations

from pathlib import Path

MODULES_DIR = Path(__file__).resolve().parents[2] / "plugins" / "modules"
FLEET_MODULES = ("appliance_status_info", "atlas_preflight", "certificate_plan")


def module_calls(tmp_path: Path, source: Path) -> dict:
    """The arguments (other than the connection's) of one call of each module that exists, by module name.

    ``source`` is a certificate file on the controller (for appliance_cert_import).
    """
    calls = {
        "appliance_key": {"name": "probe-key", "type": "ec"},
        "appliance_csr": {
            "friendly_name": "probe-request",
            "key": "probe-key",
            "common_name": "probe.example.com",
            "subject_alt_name": ["DNS:probe.example.com"],
        },
        "appliance_cert_import": {"src": [str(source)]},
        "appliance_ip_binding": {"certificate": "Factory Default", "ip_addresses": ["127.0.0.2"]},
        "appliance_support_bundle": {"certificate": "Factory Default", "dest": str(tmp_path / "probe.zip")},
        "appliance_certificate_info": {},
        "appliance_certificate": {"certificates": ["no-such-certificate"], "state": "absent"},
        "appliance_certificate_export": {"certificate": "Factory Default"},
        "appliance_status_info": {},
        "atlas_preflight": {"subject_alt_name": ["DNS:support.example.com"]},
        "certificate_plan": {},
    }
    return {name: args for name, args in calls.items() if (MODULES_DIR / f"{name}.py").exists()}


def fleet_entry(module: str, connection: dict) -> dict:
    entry = {"host": "appliance", **connection}
    if module == "atlas_preflight":
        entry.update(primary=True, hostname="appliance.example.com")
    if module == "certificate_plan":
        entry.update(name="probe", subject_alt_name=["DNS:probe.example.com"], ip_addresses=["127.0.0.2"])
    return entry


def probe_tasks(label: str, connection: dict, tmp_path: Path, source: Path) -> list:
    """One task per module named ``<label> <module>``, every one with ``ignore_errors``."""
    tasks = []
    for module, own in module_calls(tmp_path, source).items():
        if module in FLEET_MODULES:
            args = {**own, "appliances": [fleet_entry(module, connection)]}
        else:
            args = {**connection, **own}
        task = {"name": f"{label} {module}", f"bomgar.pki.{module}": args, "ignore_errors": True}
        if module in FLEET_MODULES:
            task["run_once"] = True
        tasks.append(task)
    return tasks


def probe_outcome(run, label: str, module: str) -> tuple[bool, str]:
    """``(failed, msg)`` of the module's call: the task's, or for a fleet module its appliance's entry."""
    result = run.result(f"{label} {module}")
    if module in FLEET_MODULES and isinstance(result.get("appliances"), dict):
        entry = result["appliances"].get("appliance") or {}
        return bool(entry.get("failed")), str(entry.get("msg", ""))
    return bool(result["failed"]), str(result.get("msg", ""))

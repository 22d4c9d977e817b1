# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report as data: the JSON document (docs/report.schema.json) every output is rendered from.

The document is what ``served_certificate_info`` found, put in report order:
the counts by status, every problem (worst first, in the order of
``status.PROBLEM_KINDS``), the sites with their hosts, and each host with its
endpoints. Its ``digest`` covers what a reader acts on and nothing that only
moves with the clock: the time of the report, days left to the hundredth (whole
days count), the renewal rule's wording and the certificate role's plan text.
Two runs with the same digest give the same report, and the files are left
as they are.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json

from ..pki.lifetime import maximum_lifetime_days, schedule
from . import status as report_status

REPORT_VERSION = 1
NO_SITE = None
_HOST_KEYS = ("host", "site", "status", "addresses", "hostnames", "port", "problems", "api", "endpoints")
_ENDPOINT_ORDER = (
    "address",
    "hostname",
    "port",
    "connect",
    "status",
    "problems",
    "error",
    "tls",
    "certificate",
    "chain",
    "verification",
    "hostname_covered",
    "hostnames_covered",
    "renewal",
    "bound",
    "friendly_name",
    "root_fingerprint",
    "software_update_required",
)


def parse_iso(text: str) -> datetime.datetime:
    """``2026-11-29T09:50:13Z`` as an aware UTC datetime."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def _endpoint(endpoint: dict) -> dict:
    ordered = {key: copy.deepcopy(endpoint.get(key)) for key in _ENDPOINT_ORDER}
    ordered["hostnames_covered"] = dict(endpoint.get("hostnames_covered") or {})
    ordered["problems"] = list(endpoint.get("problems") or [])
    return ordered


def _sort_endpoints(endpoints: list) -> list:
    """Worst first, then fewest days left, then address and hostname."""

    def key(endpoint: dict):
        days = (endpoint.get("certificate") or {}).get("days_left")
        return (
            report_status.severity(endpoint.get("status")),
            days if days is not None else float("inf"),
            endpoint.get("address") or "",
            endpoint.get("hostname") or "",
        )

    return sorted(endpoints, key=key)


def _where(host: dict, endpoint: dict | None) -> dict:
    certificate = (endpoint or {}).get("certificate") or {}
    return {
        "host": host["host"],
        "site": host.get("site"),
        "address": (endpoint or {}).get("address"),
        "hostname": (endpoint or {}).get("hostname"),
        "port": (endpoint or {}).get("port", host.get("port")),
        "sha256_fingerprint": certificate.get("sha256_fingerprint"),
    }


def all_problems(hosts: list) -> list:
    """Every problem of every endpoint and host, with where it is; in report order (kind, then host, then place)."""
    found = []
    for host in hosts:
        for item in host.get("problems") or []:
            found.append({**item, **_where(host, None)})
        for endpoint in host.get("endpoints") or []:
            for item in endpoint.get("problems") or []:
                found.append({**item, **_where(host, endpoint)})

    def key(item: dict):
        return (
            report_status.PROBLEM_ORDER.get(item["kind"], len(report_status.PROBLEM_ORDER)),
            item["host"],
            item.get("address") or "",
            item.get("hostname") or "",
        )

    return sorted(found, key=key)


def sites_of(hosts: list) -> list:
    """``[{name, hosts, counts}]`` in the order sites first appear; hosts without a site last."""
    order = []
    members: dict = {}
    for host in hosts:
        site = host.get("site") or NO_SITE
        if site not in members:
            members[site] = []
            order.append(site)
        members[site].append(host)
    if NO_SITE in order:
        order.remove(NO_SITE)
        order.append(NO_SITE)
    return [
        {
            "name": site,
            "hosts": [host["host"] for host in members[site]],
            "counts": report_status.counts(
                endpoint["status"] for host in members[site] for endpoint in host.get("endpoints") or []
            ),
        }
        for site in order
    ]


def build_document(info: dict, title: str) -> dict:
    """The report document from what ``served_certificate_info`` returned (its ``hosts``, ``as_of``, ``ca_bundle``)."""
    hosts_in = info.get("hosts") or {}
    hosts = []
    for name, host in hosts_in.items() if isinstance(hosts_in, dict) else ((h["host"], h) for h in hosts_in):
        entry = {key: copy.deepcopy(host.get(key)) for key in _HOST_KEYS}
        entry["host"] = host.get("host") or name
        entry["problems"] = list(entry["problems"] or [])
        entry["addresses"] = list(entry["addresses"] or [])
        entry["hostnames"] = list(entry["hostnames"] or [])
        entry["endpoints"] = _sort_endpoints([_endpoint(endpoint) for endpoint in host.get("endpoints") or []])
        hosts.append(entry)
    as_of = info["as_of"]
    endpoints = [endpoint for host in hosts for endpoint in host["endpoints"]]
    problems = all_problems(hosts)
    document = {
        "report_version": REPORT_VERSION,
        "title": title,
        "as_of": as_of,
        "digest": None,
        "ca_bundle": dict(info.get("ca_bundle") or {}),
        "public_maximum_lifetime": {
            "in_force_days": maximum_lifetime_days(parse_iso(as_of)),
            "schedule": schedule(),
        },
        "totals": {"hosts": len(hosts), "endpoints": len(endpoints), "problems": len(problems)},
        "counts": report_status.counts(endpoint["status"] for endpoint in endpoints),
        "problems": problems,
        "sites": sites_of(hosts),
        "hosts": hosts,
    }
    document["digest"] = digest(document)
    return document


# --- what changes the report --------------------------------------------------------------------------------


def _stable_endpoint(endpoint: dict) -> None:
    certificate = endpoint.get("certificate")
    if certificate:
        certificate["days_left"] = report_status.whole_days(certificate.get("days_left"))
        if certificate.get("fraction_left") is not None:
            certificate["fraction_left"] = round(certificate["fraction_left"], 2)
    renewal = endpoint.get("renewal")
    if renewal:
        renewal.pop("reason", None)


def stable_view(document: dict) -> dict:
    """The document without what only moves with the clock (see the module's description)."""
    view = copy.deepcopy(document)
    view.pop("as_of", None)
    view.pop("digest", None)
    for host in view.get("hosts") or []:
        for endpoint in host.get("endpoints") or []:
            _stable_endpoint(endpoint)
        plan = (host.get("api") or {}).get("plan")
        if plan:
            for key in ("reasons", "lines", "friendly_name", "warnings"):
                plan.pop(key, None)
    return view


def digest(document: dict) -> str:
    """SHA-256 (hex) of the stable view, in canonical JSON."""
    text = json.dumps(stable_view(document), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def to_json(document: dict) -> str:
    """The document as report.json: indented, keys in document order, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

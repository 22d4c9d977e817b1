# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report as text: report.md (for CI job summaries), report.prom (node_exporter's textfile collector), and
the lines of the summary printed at the end of a run."""

from __future__ import annotations

from . import status as report_status
from .document import parse_iso
from .timeline import certificate_label

# --- report.md ----------------------------------------------------------------------------------------------


def _cell(value) -> str:
    """Text safe in one cell of a Markdown table."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _place(item: dict) -> str:
    place = item.get("address") or ""
    if item.get("hostname") and item.get("hostname") != place:
        place = f"{place} as {item['hostname']}" if place else item["hostname"]
    return f"{place}:{item['port']}" if place and item.get("port") else place


def render_markdown(document: dict, problem_limit: int = 50) -> str:
    """The problems and a compact table of every endpoint, worst first."""
    counts = document.get("counts") or {}
    totals = document.get("totals") or {}
    lines = [
        f"# {document.get('title') or 'Certificate report'}",
        "",
        f"As of {parse_iso(document['as_of']).strftime('%Y-%m-%d %H:%M UTC')} · {totals.get('hosts', 0)} hosts · "
        f"{totals.get('endpoints', 0)} endpoints · a publicly trusted certificate may now live "
        f"{(document.get('public_maximum_lifetime') or {}).get('in_force_days')} days (SC-081)",
        "",
        "| " + " | ".join(report_status.STATUS_LABELS[status] for status in report_status.STATUSES) + " |",
        "|" + "---:|" * len(report_status.STATUSES),
        "| " + " | ".join(str(counts.get(status, 0)) for status in report_status.STATUSES) + " |",
        "",
    ]
    problems = document.get("problems") or []
    lines.append(f"## Problems ({len(problems)})")
    lines.append("")
    if not problems:
        lines.append("No problems: every endpoint answers, verifies for its name and is outside its renewal window.")
    else:
        lines += ["| Status | Host | Endpoint | Problem | What to do |", "|---|---|---|---|---|"]
        for item in problems[:problem_limit]:
            label = report_status.PROBLEM_LABELS.get(item["kind"], item["kind"])
            lines.append(
                f"| {_cell(report_status.STATUS_LABELS.get(item['status']))} | {_cell(item['host'])} | "
                f"{_cell(_place(item))} | **{_cell(label)}**: {_cell(item['message'])} | {_cell(item['action'])} |"
            )
        if len(problems) > problem_limit:
            lines.append("")
            lines.append(f"… and {len(problems) - problem_limit} more in report.html and report.json.")
    lines += [
        "",
        "## Endpoints",
        "",
        "| Status | Host | Endpoint | Certificate | Expires | Days left | Chain | Verified |",
        "|---|---|---|---|---|---:|---|---|",
    ]
    rows = [(host, endpoint) for host in document.get("hosts") or [] for endpoint in host.get("endpoints") or []]
    rows.sort(
        key=lambda pair: (
            report_status.severity(pair[1]["status"]),
            (pair[1].get("certificate") or {}).get("days_left", float("inf")),
            pair[0]["host"],
        )
    )
    for host, endpoint in rows:
        certificate = endpoint.get("certificate") or {}
        chain = endpoint.get("chain") or {}
        chain_text = chain.get("status", "—")
        if chain and not chain.get("in_order", True):
            chain_text += ", out of order"
        verification = endpoint.get("verification") or {}
        verified = "—" if not certificate else ("yes" if verification.get("verified") else "no")
        lines.append(
            f"| {_cell(report_status.STATUS_LABELS.get(endpoint['status']))} | {_cell(host['host'])} | "
            f"{_cell(_place({**endpoint, 'address': endpoint.get('address') or endpoint.get('connect')}))} | "
            f"{_cell(certificate_label(certificate) if certificate else endpoint.get('error'))} | "
            f"{_cell((certificate.get('not_after') or '')[:10])} | "
            f"{_cell(report_status.whole_days(certificate.get('days_left')) if certificate else '')} | "
            f"{_cell(chain_text)} | {verified} |"
        )
    lines += ["", f"<!-- report-digest: {document.get('digest')} -->", ""]
    return "\n".join(lines)


# --- report.prom --------------------------------------------------------------------------------------------

METRICS = (
    (
        "bomgar_certificate_not_after_timestamp_seconds",
        "When the certificate served on the endpoint expires, as a Unix time.",
    ),
    (
        "bomgar_certificate_days_left",
        "Days until the certificate served on the endpoint expires, at the report's time.",
    ),
    (
        "bomgar_certificate_chain_valid",
        "1 when the served chain leads to a root of the CA bundle (names aside), else 0.",
    ),
    (
        "bomgar_certificate_hostname_covered",
        "1 when the certificate covers the hostname sent as SNI, else 0 (only for endpoints asked with a hostname).",
    ),
    (
        "bomgar_certificate_served_matches_bound",
        "1 when the address serves the certificate the appliance binds to it, else 0 (only appliances read "
        "through their API).",
    ),
    ("bomgar_certificate_probe_success", "1 when the endpoint completed a TLS handshake, else 0."),
    ("bomgar_certificate_report_endpoints", "Endpoints of the report by status."),
)


def escape_label(value) -> str:
    """A label value as the text format wants it: backslash, double quote and line feed escaped."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: list) -> str:
    return "{" + ",".join(f'{name}="{escape_label(value)}"' for name, value in pairs) + "}"


def _number(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def render_prometheus(document: dict) -> str:
    """Gauges for every endpoint, labelled by host, address, hostname and fingerprint, plus counts by status."""
    samples: dict = {name: [] for name, _help in METRICS}
    for host in document.get("hosts") or []:
        for endpoint in host.get("endpoints") or []:
            certificate = endpoint.get("certificate") or {}
            labels = [
                ("host", host["host"]),
                ("address", endpoint.get("address") or endpoint.get("connect") or ""),
                ("hostname", endpoint.get("hostname") or ""),
                ("fingerprint", certificate.get("sha256_fingerprint") or ""),
            ]
            samples["bomgar_certificate_probe_success"].append((labels, bool(certificate)))
            if not certificate:
                continue
            not_after = parse_iso(certificate["not_after"]).timestamp()
            samples["bomgar_certificate_not_after_timestamp_seconds"].append((labels, int(not_after)))
            samples["bomgar_certificate_days_left"].append((labels, round(certificate.get("days_left") or 0.0, 2)))
            verification = endpoint.get("verification") or {}
            samples["bomgar_certificate_chain_valid"].append((labels, bool(verification.get("chain_trusted"))))
            if endpoint.get("hostname_covered") is not None:
                samples["bomgar_certificate_hostname_covered"].append((labels, bool(endpoint["hostname_covered"])))
            bound = endpoint.get("bound") or {}
            if bound.get("matches") is not None:
                samples["bomgar_certificate_served_matches_bound"].append((labels, bool(bound["matches"])))
    for status in report_status.STATUSES:
        samples["bomgar_certificate_report_endpoints"].append(
            ([("status", status)], (document.get("counts") or {}).get(status, 0))
        )
    lines = [f"# bomgar.pki certificate report, digest {document.get('digest')}"]
    for name, help_text in METRICS:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in samples[name]:
            lines.append(f"{name}{_labels(labels)} {_number(value)}")
    return "\n".join(lines) + "\n"


# --- the summary at the end of a run ------------------------------------------------------------------------


def summary_lines(document: dict, paths: dict, problem_limit: int = 10) -> list:
    """What the run prints: counts by status, the first problems, where the files are."""
    counts = document.get("counts") or {}
    totals = document.get("totals") or {}
    lines = [
        f"Certificate report as of {document['as_of']}: {totals.get('hosts', 0)} hosts, "
        f"{totals.get('endpoints', 0)} endpoints",
        "  "
        + " · ".join(
            f"{report_status.STATUS_LABELS[status].lower()} {counts.get(status, 0)}"
            for status in report_status.STATUSES
        ),
    ]
    problems = document.get("problems") or []
    if problems:
        lines.append(f"  Problems ({len(problems)}):")
        for item in problems[:problem_limit]:
            where = " ".join(part for part in (item["host"], _place(item)) if part)
            label = report_status.PROBLEM_LABELS.get(item["kind"], item["kind"])
            lines.append(f"    [{item['status']}] {where}: {label}. {item['message']}")
        if len(problems) > problem_limit:
            lines.append(f"    … and {len(problems) - problem_limit} more in the report")
    else:
        lines.append("  No problems.")
    html = paths.get("html")
    others = ", ".join(paths[key] for key in ("json", "prom", "md") if key in paths)
    lines.append(f"  Report: {html}" + (f" (also {others})" if others else ""))
    return lines

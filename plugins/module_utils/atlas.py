# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules of the Atlas rollout (the bomgar.pki.atlas_rollout role), as plain functions.

- The site: which variables of each inventory host describe its appliance.
- The pre-flight: from what every appliance of the site answered, each problem that stops the rollout before
  anything changes, with its message.
- The summary: per traffic node, what its addresses served before and after and how its rollout ended; the lines
  shown; the message when a node does not serve the certificate rolled out.

Nothing here talks to an appliance or imports Ansible; the hostname coverage rule is the PKI core's
(``names.uncovered_hostnames``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .inventory_variables import CONNECTION_VARIABLES as INVENTORY_VARIABLES

try:
    from .pki.errors import PKIError
    from .pki.hostnames import uncovered_hostnames
except ImportError:  # reported through deps.require_cryptography() by the callers
    PKIError = ()
    uncovered_hostnames = None

PREFLIGHT_FAILED = "Pre-flight of the Atlas rollout failed; nothing was changed on any appliance."
SUCCESS_RESULTS = ("changed", "unchanged", "would change")
FAILURE_RESULTS = ("failed", "rolled back", "rollback failed")
NO_URL = "no bomgar_appliance_url"

# The inventory variables that describe one appliance of the site, by the name of its pre-flight entry.
SITE_VARIABLES = {
    **INVENTORY_VARIABLES,
    "hostname": "bomgar_appliance_hostname",
    "ip_addresses": "bomgar_ip_addresses",
}


# The variables of a traffic node that its play records and the summary reads.
NODE_FACTS = (
    "bomgar_appliance_hostname",
    "__atlas_rollout_import",
    "__atlas_rollout_failure",
    "__atlas_rollout_rollback",
    "__atlas_rollout_rollback_error",
    "__atlas_rollout_now",
)


def plain(value):
    """Mappings, sequences and strings of any kind (lazy, tagged) as plain dicts, lists and values."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def pick(variables: Mapping, names) -> dict:
    """The variables of ``names`` that ``variables`` holds, as plain data (nothing else of it is read)."""
    picked = {}
    for name in names:
        try:
            value = variables[name]
        except KeyError:
            continue
        picked[name] = plain(value)
    return picked


def _unique(values) -> list:
    """``values`` without repeats, in their order."""
    return list(dict.fromkeys(values))


def _text(value) -> str:
    return "" if value is None else str(value)


# --- the site -------------------------------------------------------------------------------------------------


def site_appliances(hosts, variables_of, primaries) -> list:
    """One pre-flight entry per host of the site: its connection, hostname, addresses and whether it is a primary.

    ``variables_of(host)`` gives the host's variables (a mapping); a variable the inventory leaves out is None in
    the entry (``ip_addresses``: an empty list).
    """
    primaries = set(primaries or [])
    entries = []
    for host in _unique(hosts or []):
        variables = variables_of(host) or {}
        entry = {"host": host, "primary": host in primaries}
        for name, variable in SITE_VARIABLES.items():
            entry[name] = variables.get(variable)
        entry["ip_addresses"] = list(entry["ip_addresses"] or [])
        entries.append(entry)
    return entries


SITE_RUN_FIX = (
    "A rollout changes the primary and every traffic node of a site together, so one run must reach the whole "
    "site: turn off job slicing for this job template (job slice count 1), and do not --limit a run to part of "
    "a site (limit it to the site group, for example --limit {site_group}, or leave the site out entirely)."
)


def site_run(
    site_hosts,
    hosts_in_run,
    *,
    primaries=(),
    members=(),
    site_group: str = "bomgar_site",
    primary_group: str = "bomgar_primary",
    members_variable: str = "bomgar_site_members",
) -> dict:
    """Whether this run reaches every appliance of the site; what is missing, and the message when it does not.

    ``site_hosts`` are the hosts the inventory of this run puts in the site group; ``hosts_in_run`` those of
    them the run reaches (``None``: all, the run has no limit); ``primaries`` the hosts of the primary's group;
    ``members`` every host of the site as the inventory declares it (``bomgar_site_members``, which tells a
    slice of a sliced job, whose inventory holds only part of the hosts, what the other slices hold).

    Returns ``complete``, ``members`` (the site, declared members first), ``missing`` (members this run does not
    reach), ``in_run`` (members it does), ``undeclared`` (hosts of the site group that ``members`` leaves out,
    when it is given) and ``message`` ('' when complete).
    """
    site_hosts = _unique(_text(host) for host in site_hosts or [])
    declared = _unique(_text(host) for host in members or [])
    everyone = _unique([*declared, *site_hosts])
    reached = set(site_hosts if hosts_in_run is None else (_text(host) for host in hosts_in_run))
    in_run = [host for host in everyone if host in reached]
    missing = [host for host in everyone if host not in reached]
    undeclared = [host for host in site_hosts if declared and host not in declared]
    primaries = _unique(_text(host) for host in primaries or [])
    primaries_in_run = [host for host in primaries if host in reached]
    problems = []
    if missing:
        limited = [host for host in missing if host in site_hosts]
        elsewhere = [host for host in missing if host not in site_hosts]
        left_out = []
        if limited:
            left_out.append(f"{', '.join(limited)} left out by the limit (--limit)")
        if elsewhere:
            left_out.append(
                f"{', '.join(elsewhere)} not in this run's inventory (in another slice of a sliced job, or missing "
                f"from the inventory)"
            )
        problems.append(
            f"Not every appliance of the site (group {site_group}) is in this run: {'; '.join(left_out)}. "
            f"The run holds {', '.join(in_run) if in_run else 'none of them'}."
        )
    # A primary left out is named above already.
    if not primaries_in_run and not set(primaries) & set(missing):
        problems.append(
            f"No host of the group {primary_group} (the site's primary) is in this run, or the inventory has none."
        )
    if undeclared:
        problems.append(
            f"{members_variable} does not list {', '.join(undeclared)}, which the inventory puts in the group "
            f"{site_group}: list every host of the site in {members_variable}."
        )
    message = ""
    if problems:
        split = missing or not primaries_in_run
        fix = [SITE_RUN_FIX.format(site_group=site_group)] if split else []
        message = " ".join([*problems, *fix, "Nothing was changed on any appliance."])
    return {
        "complete": not problems,
        "members": everyone,
        "missing": missing,
        "in_run": in_run,
        "undeclared": undeclared,
        "message": message,
    }


def site_hostnames(appliances: list, site_hostname: str | None) -> list:
    """The names the certificate must cover: each appliance's hostname, then the site hostname; once each."""
    names = [entry["hostname"] for entry in appliances if entry.get("hostname")]
    if site_hostname:
        names.append(site_hostname)
    return _unique(names)


def newest_server_certificate(certificates: list) -> dict:
    """The server certificate with the latest ``not_before`` (the last of equals, in the appliance's order); {}."""
    servers = [cert for cert in certificates or [] if cert.get("role") == "server"]
    if not servers:
        return {}
    return sorted(servers, key=lambda cert: _text(cert.get("not_before")))[-1]


# --- the pre-flight -------------------------------------------------------------------------------------------


def _owners(name: str, appliances: list, site_hostname: str | None) -> str:
    hosts = [entry["host"] for entry in appliances if entry.get("hostname") == name]
    if site_hostname and name == site_hostname:
        hosts.append("site hostname")
    return f"{name} ({', '.join(hosts)})"


def _credential_variables(entries) -> str:
    """The inventory variables of the credentials these entries' transports log in with."""
    transports = {entry.get("transport") or "api" for entry in entries}
    web = "bomgar_username, bomgar_password"
    if transports == {"web"}:
        return web
    return "bomgar_api_token" if "web" not in transports else f"bomgar_api_token ({web} over web)"


def _reason(message) -> str:
    return re.sub(r"[.\s]+$", "", _text(message))


def missing_addresses(appliances: list, answers: Mapping) -> dict:
    """``{host: [addresses]}``: the addresses the inventory gives an appliance that answered but does not have."""
    missing = {}
    for entry in appliances:
        answer = answers.get(entry["host"]) or {}
        if answer.get("failed", True):
            continue
        present = set((answer.get("status") or {}).get("ip_addresses") or [])
        absent = [address for address in _unique(entry.get("ip_addresses") or []) if address not in present]
        if absent:
            missing[entry["host"]] = absent
    return missing


SELF_RENEWING_PRIMARY = (
    "The site's certificate would come from the primary's own ACME client (certificate_provider acme with "
    "certificate_acme_mode appliance), which renews it by itself between runs while the traffic nodes keep the "
    "previous one. Use certificate_acme_mode controller for an Atlas site: the controller orders over DNS-01 and "
    "every run rolls the certificate out to every node."
)


def preflight(
    appliances: list,
    answers: Mapping,
    *,
    site_hostname: str | None,
    subject_alt_name: list | None,
    certificate_error: str | None = None,
    primary_group: str = "bomgar_primary",
    renewed_by: str = "controller",
) -> dict:
    """Every problem that stops the rollout before any change, in the order they are reported.

    ``appliances`` are the entries of :func:`site_appliances`; ``answers`` what each appliance answered
    (``{host: {failed, msg} | {failed: false, status}}``). ``subject_alt_name`` are the names of the certificate
    to roll out: the spec's when it is issued, else those of the certificate on the primary; None when they
    cannot be known because the primary was not read (then only the other problems are reported).
    ``certificate_error`` says why the certificate to roll out cannot be read on the primary. ``renewed_by`` is
    ``appliance`` when the certificate the rollout issues comes from the primary's own ACME client, which renews it
    between runs without the traffic nodes: that is refused.

    Returns ``problems`` (messages), ``hostnames`` (what the certificate must cover), ``uncovered``,
    ``unreachable`` (``{host: message}``), ``missing_addresses``, ``without_hostname`` and ``primaries``.
    """
    hostnames = site_hostnames(appliances, site_hostname)
    primaries = [entry["host"] for entry in appliances if entry.get("primary")]
    unreachable = {
        entry["host"]: _text((answers.get(entry["host"]) or {}).get("msg") or "no answer")
        for entry in appliances
        if (answers.get(entry["host"]) or {}).get("failed", True)
    }
    missing = missing_addresses(appliances, answers)
    without_hostname = [entry["host"] for entry in appliances if not entry.get("hostname")]
    problems = []
    uncovered = []

    if len(primaries) != 1:
        problems.append(f"The group {primary_group} must hold exactly one primary; it holds [{', '.join(primaries)}].")
    if renewed_by == "appliance":
        problems.append(SELF_RENEWING_PRIMARY)
    if certificate_error:
        problems.append(f"The certificate to roll out cannot be read on the primary: {certificate_error}")
    elif subject_alt_name is None:
        pass  # the primary did not answer: reported below with the other appliances that did not
    elif not subject_alt_name:
        problems.append(
            "There are no subject alternative names to check: set certificate_subject_alt_name, or name a "
            "certificate of the primary in atlas_rollout_certificate."
        )
    else:
        try:
            uncovered = uncovered_hostnames(hostnames, subject_alt_name)
        except PKIError as exc:
            problems.append(
                f"The subject alternative names [{', '.join(map(_text, subject_alt_name))}] cannot be checked: {exc}"
            )
        if uncovered:
            owners = ", ".join(_owners(name, appliances, site_hostname) for name in uncovered)
            problems.append(
                f"Not covered by the subject alternative names [{', '.join(subject_alt_name)}]: {owners}. Add them "
                "to the subject alternative names (a wildcard such as *.example.com covers exactly one label), or "
                "correct bomgar_appliance_hostname or bomgar_site_hostname in the inventory."
            )
    if without_hostname:
        problems.append(f"No bomgar_appliance_hostname in the inventory for: {', '.join(without_hostname)}.")
    if unreachable:
        urls = {entry["host"]: entry.get("appliance_url") for entry in appliances}
        reasons = [
            f"{host} ({NO_URL if urls.get(host) is None else urls[host]}): {_reason(message)}"
            for host, message in unreachable.items()
        ]
        problems.append(
            f"Not reachable: {'; '.join(reasons)}. Start the appliance, or correct its bomgar_appliance_url, "
            f"{_credential_variables(entry for entry in appliances if entry['host'] in unreachable)} and "
            "bomgar_ca_path."
        )
    if missing:
        listed = "; ".join(f"{host} ({', '.join(addresses)})" for host, addresses in missing.items())
        problems.append(
            f"IP addresses the appliance does not have: {listed}. Correct bomgar_ip_addresses in the inventory, "
            "or add the addresses to the appliance."
        )
    return {
        "problems": problems,
        "hostnames": hostnames,
        "uncovered": uncovered,
        "unreachable": unreachable,
        "missing_addresses": missing,
        "without_hostname": without_hostname,
        "primaries": primaries,
    }


def preflight_message(problems: list) -> str:
    """The failure of the pre-flight: what it means, then each problem."""
    return " ".join([PREFLIGHT_FAILED, *problems])


# --- the summary ----------------------------------------------------------------------------------------------


def _joined(views: list, field: str) -> str:
    return ", ".join(_unique(_text(view.get(field)) for view in views if view.get(field) not in (None, "")))


def _binding_views(bindings) -> list:
    return [view for view in (bindings or {}).values() if isinstance(view, Mapping)]


def imported_row(node: str, hostname: str, imported: Mapping, rolled_out: Mapping) -> dict:
    """The row of a node whose import task ran to its end: changed, unchanged, or (check mode) would change."""
    binding = imported.get("binding") or {}
    views = _binding_views(binding.get("bindings"))
    before = [view.get("before") or {} for view in views]
    skipped = bool(binding.get("skipped"))
    if skipped:
        result, after = "would change", _text(rolled_out.get("sha256_fingerprint"))
    else:
        result = "changed" if imported.get("changed") else "unchanged"
        served = [chain[0] for chain in (binding.get("served") or {}).values() if chain]
        if not served:
            served = [(view.get("after") or {}).get("sha256_fingerprint") for view in views]
        after = ", ".join(_unique(_text(item) for item in served if item))
    return {
        "node": node,
        "hostname": hostname,
        "result": result,
        "before": _joined(before, "sha256_fingerprint"),
        "before_name": _joined(before, "friendly_name"),
        "after": after,
        "after_name": _text(rolled_out.get("friendly_name")),
        "message": "",
    }


def failed_row(
    node: str,
    hostname: str,
    failure: Mapping,
    rollback: Mapping | None,
    rollback_error: str | None,
    now: Mapping | None,
) -> dict:
    """The row of a node whose import, binding or check failed: rolled back, rollback failed, or failed.

    ``failure`` is what the node noted (``task``, ``message``, ``bindings`` written before the check failed,
    ``ip_addresses`` of the node); ``rollback`` the registered loop that bound the addresses again;
    ``rollback_error`` why that failed; ``now`` what the node's addresses serve after it.
    """
    bindings = _binding_views(failure.get("bindings"))
    addresses = set(failure.get("ip_addresses") or [])
    served_now = [entry for entry in (now or {}).get("bindings") or [] if entry.get("address") in addresses]
    rebound = [item for item in (rollback or {}).get("results") or [] if not item.get("skipped")]
    if rollback_error:
        result = "rollback failed"
    elif rebound:
        result = "rolled back"
    else:
        result = "failed"
    before = [view.get("before") or {} for view in bindings] if bindings else served_now
    message = f"{_text(failure.get('task'))}: {_text(failure.get('message') or 'the task failed')}"
    if rollback_error:
        message += f" Rollback failed: {rollback_error}"
    return {
        "node": node,
        "hostname": hostname,
        "result": result,
        "before": _joined(before, "sha256_fingerprint"),
        "before_name": _joined(before, "friendly_name"),
        "after": _joined(served_now, "sha256_fingerprint"),
        "after_name": _joined(served_now, "friendly_name"),
        "message": message,
    }


def not_attempted_reason(rolled_out: Mapping, check_mode: bool, waiting: bool = False) -> str:
    """Why a node was not attempted: the rollout stopped before it, or there was nothing to roll out."""
    if rolled_out:
        return "the rollout stopped before this node"
    if waiting:
        return "the primary's certificate waits for the CA; the next run rolls it out"
    if check_mode:
        return "check mode: the primary would get its certificate first; run without --check to roll it out"
    return "the primary had no certificate to roll out"


def node_row(node: str, facts: Mapping, rolled_out: Mapping, check_mode: bool, waiting: bool = False) -> dict:
    """The summary row of one traffic node from what its play recorded (``facts``: its variables)."""
    hostname = _text(facts.get("bomgar_appliance_hostname") or node)
    failure = facts.get("__atlas_rollout_failure")
    if isinstance(failure, Mapping):
        return failed_row(
            node,
            hostname,
            failure,
            facts.get("__atlas_rollout_rollback"),
            facts.get("__atlas_rollout_rollback_error"),
            facts.get("__atlas_rollout_now"),
        )
    imported = facts.get("__atlas_rollout_import")
    if isinstance(imported, Mapping) and "binding" in imported:
        return imported_row(node, hostname, imported, rolled_out)
    return {
        "node": node,
        "hostname": hostname,
        "result": "not attempted",
        "before": "",
        "before_name": "",
        "after": "",
        "after_name": "",
        "message": not_attempted_reason(rolled_out, check_mode, waiting),
    }


def _named(name: str, inventory_name: str) -> str:
    return name + (f" ({inventory_name})" if inventory_name != name else "")


def summary_lines(rows: list, rolled_out: Mapping, primary: Mapping | None) -> list:
    """The lines shown: the primary (when the rollout issued its certificate), the certificate, each node."""
    lines = []
    if primary is not None:
        issued = primary.get("certificate_result") or {}
        name = _text(primary.get("hostname") or primary.get("host"))
        if issued.get("waiting_for"):
            lines.append(
                f"primary {_named(name, _text(primary.get('host')))}: {_text(issued.get('action') or '?')} not done, "
                f"its request waits for the CA: hand {_text(issued['waiting_for'])} to the CA, put the signed "
                f"certificate and the CA's files into {_text(issued.get('answer_to') or 'the drop folder')}, then "
                "run the rollout again to import it on the primary and roll it out"
            )
            return lines + [_row_line(row) for row in rows]
        lines.append(
            f"primary {_named(name, _text(primary.get('host')))}: {_text(issued.get('action') or '?')}; "
            f"before {_text(issued.get('previous_fingerprint') or '-')}, "
            f"after {_text(rolled_out.get('sha256_fingerprint') or '-')}"
        )
    if rolled_out.get("sha256_fingerprint"):
        lines.append(
            f"certificate of the site: {_text(rolled_out.get('friendly_name'))} {rolled_out['sha256_fingerprint']}"
        )
    return lines + [_row_line(row) for row in rows]


def _row_line(row: dict) -> str:
    """The line shown for one traffic node."""
    line = f"{_named(row['hostname'], row['node'])}: {row['result']}; before {row['before'] or '-'}"
    line += f" {row['before_name']}" if row["before_name"] else ""
    line += f", after {row['after'] or '-'}"
    line += f" {row['after_name']}" if row["after_name"] else ""
    line += f"; {row['message']}" if row["message"] else ""
    return line


def not_done_message(rows: list) -> str:
    """Why the run fails at the summary: the nodes that do not serve the certificate; '' when every node does."""
    not_done = [row for row in rows if row["result"] not in SUCCESS_RESULTS]
    if not not_done:
        return ""
    listed = ", ".join(f"{row['node']} ({row['result']})" for row in not_done)
    return (
        f"{len(not_done)} of {len(rows)} traffic node(s) do not serve the rolled-out certificate: {listed}. "
        "See the summary above; nodes that were rolled back serve what they served before."
    )


def summary(
    nodes: list, facts_of, rolled_out: Mapping | None, check_mode: bool = False, primary: Mapping | None = None
) -> dict:
    """The summary of the rollout.

    ``nodes`` are the traffic nodes in inventory order; ``facts_of(node)`` gives a node's variables;
    ``rolled_out`` is the certificate rolled out (``friendly_name``, ``sha256_fingerprint``; empty when there was
    none); ``primary`` (``host``, ``hostname``, ``certificate_result``) when the rollout issued the certificate.

    Returns ``rows`` (one per node), ``lines`` (what is shown) and ``failure`` (why the run fails: a node does not
    serve the certificate rolled out; '' otherwise, and always '' when nothing was rolled out).
    """
    rolled_out = dict(rolled_out or {})
    waiting = bool(((primary or {}).get("certificate_result") or {}).get("waiting_for"))
    rows = [node_row(node, facts_of(node) or {}, rolled_out, check_mode, waiting) for node in _unique(nodes or [])]
    return {
        "rows": rows,
        "lines": summary_lines(rows, rolled_out, primary),
        "failure": not_done_message(rows) if rolled_out else "",
    }

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection end to end, on this machine: ``make demo``.

Starts a site of reference appliances on loopback (a primary and two Atlas
traffic nodes, state in ``build/demo-fleet``), runs ``playbooks/demo.yml``
against it (a local CA; the site certificate for ``support.example.com`` and
``*.example.com`` on the primary; the roll-out to the traffic nodes; a check
over TLS of what every IP address serves; the support bundle for the vendor;
the certificate report of the site), prints a short summary, and stops the
appliances, also when something failed.

The state stays: a second run starts the same appliances again, finds every
certificate as the spec in git wants it, changes nothing, and says so.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet import FleetError, fleet_paths, start_fleet, stop_fleet

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LINK = BUILD / "ansible_collections" / "bomgar" / "pki"
DEFAULT_WORKDIR = BUILD / "demo-fleet"
PLAYBOOK = ROOT / "playbooks" / "demo.yml"
SPEC_INVENTORY = ROOT / "inventories" / "demo"
API_PREFIX = "/appliance/api/v1"
PREFERRED_SITE_PORT = 9443
APPLIANCES = 3
RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+.*failed=(?P<failed>\d+)")


def ensure_collection_link() -> None:
    """``build/ansible_collections/bomgar/pki`` -> this checkout, as ``make venv`` makes it."""
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(ROOT, LINK.parent), LINK)


def run_playbook(inventory: Path, log_path: Path, transport: str = "api") -> tuple[int, str]:
    """Run playbooks/demo.yml against the fleet over ``transport``; its output goes to the terminal and to
    ``log_path``."""
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    argv = [str(ansible_playbook), "-i", str(inventory), "-i", str(SPEC_INVENTORY), str(PLAYBOOK)]
    argv += ["-e", f"bomgar_transport={transport}"]
    environment = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(BUILD),
        "ANSIBLE_FORCE_COLOR": os.environ.get("ANSIBLE_FORCE_COLOR", "1" if sys.stdout.isatty() else "0"),
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    }
    lines = []
    with (
        subprocess.Popen(
            argv,
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as process,
        open(log_path, "w", encoding="utf-8") as log,
    ):
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
            lines.append(line)
    return process.returncode, "".join(lines)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counts per host, from ansible-playbook's output."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    counts = {}
    for line in plain.splitlines():
        match = RECAP_LINE.match(line)
        if match:
            counts[match["host"]] = {key: int(match[key]) for key in ("ok", "changed", "failed")}
    return counts


def api_get(member: dict, path: str):
    """GET ``path`` of one appliance's API, as JSON (its CA, its bearer token)."""
    token = Path(member["token_file"]).read_text(encoding="ascii").strip()
    context = ssl.create_default_context(cafile=member["ca_path"])
    request = urllib.request.Request(
        member["api_url"] + API_PREFIX + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.load(answer)


def served_leaf_fingerprint(address: str, port: int, server_hostname: str) -> str:
    """SHA-256 fingerprint of the leaf certificate served on ``address:port``, read without validation."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((address, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return ":".join(f"{byte:02x}" for byte in hashlib.sha256(der).digest())


def appliance_rows(info: dict) -> list[dict]:
    """What each appliance serves now: addresses, certificate, issuer, expiry, and whether TLS agrees."""
    rows = []
    for member in info["appliances"]:
        bindings = api_get(member, "/network/ip-addresses")
        for binding in bindings:
            certificate = api_get(member, f"/certificates/{binding['certificate_id']}")
            served = served_leaf_fingerprint(binding["address"], info["site_port"], member["site_hostname"])
            rows.append(
                {
                    "hostname": member["hostname"],
                    "role": member["role"],
                    "address": binding["address"],
                    "friendly_name": certificate["friendly_name"],
                    "fingerprint": certificate["sha256_fingerprint"],
                    "issuer": certificate["issuer"].get("common_name", "?"),
                    "not_after": certificate["not_after"],
                    "served_matches": served == certificate["sha256_fingerprint"],
                }
            )
    return rows


def openssl_check(address: str, port: int, hostname: str, root: Path) -> tuple[str, str]:
    """One ``openssl s_client`` run that verifies the served chain for ``hostname``; the command and its verdict."""
    argv = ["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", hostname]
    argv += ["-verify_hostname", hostname, "-CAfile", str(root), "-verify_return_error"]
    try:
        done = subprocess.run(argv, input="", capture_output=True, text=True, timeout=20, check=False)
    except FileNotFoundError:
        return " ".join(argv), "openssl is not installed"
    verdict = next(
        (line.strip() for line in done.stdout.splitlines() if "Verify return code" in line),
        f"exit status {done.returncode}",
    )
    return " ".join(argv) + " </dev/null", verdict


def print_report_counts(path: Path) -> None:
    """The report's endpoints by status, one line."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    counts = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in document["counts"].items() if count)
    print(f"     {document['totals']['endpoints']} endpoints: {counts or 'none'} (as of {document['as_of']})")


def print_summary(workdir: Path, info: dict, counts: dict, started: bool) -> None:
    """What happened, what every address serves now, where the bundle is, how to look with openssl."""
    changed = sum(host["changed"] for host in counts.values())
    print("\n== Summary")
    if changed:
        print(f"   {changed} change(s): " + ", ".join(f"{h} {c['changed']}" for h, c in counts.items() if c["changed"]))
    else:
        print("   nothing changed: every appliance already serves the certificate the spec asks for")
    if not started:
        print("   (the appliances were already running and were reused)")
    for row in appliance_rows(info):
        tls = "TLS agrees" if row["served_matches"] else "TLS SERVES SOMETHING ELSE"
        print(
            f"   {row['hostname']:24} {row['address']:10} {row['friendly_name']} "
            f"(issuer {row['issuer']}, until {row['not_after']}; {tls})"
        )
    bundles = sorted((workdir / "bundles").glob("*.zip"))
    for bundle in bundles:
        print(
            f"   support bundle for the vendor: {bundle.relative_to(ROOT) if bundle.is_relative_to(ROOT) else bundle}"
        )
    report = workdir / "report" / "report.html"
    if report.exists():
        print(f"   certificate report: {report.relative_to(ROOT) if report.is_relative_to(ROOT) else report}")
        print_report_counts(workdir / "report" / "report.json")
    root = workdir / "ca" / "root.pem"
    if root.exists():
        primary = info["appliances"][0]
        command, verdict = openssl_check(primary["ip_addresses"][0], info["site_port"], primary["site_hostname"], root)
        print(f"   {command.replace(str(ROOT) + os.sep, '')}\n     -> {verdict}")
    print(f"   state, inventory and logs: {workdir.relative_to(ROOT) if workdir.is_relative_to(ROOT) else workdir}")


def main(argv: list[str] | None = None) -> int:
    """Start the fleet, run the playbook, print the summary, stop the fleet."""
    parser = argparse.ArgumentParser(prog="python scripts/demo.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="state of the demo (default %(default)s)")
    parser.add_argument("--keep-running", action="store_true", help="leave the appliances running afterwards")
    parser.add_argument(
        "--transport",
        choices=("api", "web"),
        default="api",
        help="how the modules reach the appliances: their API, or their /appliance web interface "
        "(make demo TRANSPORT=web; default %(default)s)",
    )
    args = parser.parse_args(argv)
    workdir = args.workdir.absolute()
    ensure_collection_link()
    paths = fleet_paths(workdir)
    print(f"== Starting {APPLIANCES} reference appliances on loopback (state in {workdir})")
    try:
        info, started = start_fleet(workdir, APPLIANCES, site_port=PREFERRED_SITE_PORT)
    except FleetError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    try:
        members = ", ".join(f"{m['hostname']} ({m['ip_addresses'][0]})" for m in info["appliances"])
        print(f"   {members}; site port {info['site_port']}")
        print(f"== ansible-playbook {PLAYBOOK.relative_to(ROOT)} (transport: {args.transport})")
        paths["logs"].mkdir(parents=True, exist_ok=True)
        status, output = run_playbook(paths["inventory"], paths["logs"] / "ansible.log", args.transport)
        counts = recap(output)
        if status != 0:
            print(f"\ndemo failed: ansible-playbook exited with {status}; see {paths['logs'] / 'ansible.log'}")
            return status
        print_summary(workdir, info, counts, started)
        return 0
    finally:
        if args.keep_running:
            print(f"   the appliances keep running; stop them with: python scripts/fleet.py stop --dir {workdir}")
        else:
            stop_fleet(workdir)
            print("== Stopped the appliances")


if __name__ == "__main__":
    sys.exit(main())

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

With ``--provider acme`` (``make demo PROVIDER=acme``, state in
``build/demo-fleet-acme``) the site certificate comes from Pebble, Let's
Encrypt's test CA, started on loopback with pebble-challtestsrv as its DNS
(scripts/pebble_lab.py): the certificate role orders in controller mode, the
appliance making the key and the request and the controller proving both names
over DNS-01 (the wildcard needs it) through examples/acme/dns-challtestsrv.yml;
the rest of the flow is the same. Pebble makes new roots on every start, so the
primary is given the running Pebble's root only when a check-mode run of the
role says it will order; the roots it was given are kept in
``acme/pebble-roots.pem``, against which the summary verifies, with
``openssl s_client``, the chain every address serves.
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
from pebble_lab import LabError, start_lab, stop_lab

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LINK = BUILD / "ansible_collections" / "bomgar" / "pki"
DEFAULT_WORKDIR = BUILD / "demo-fleet"
DEFAULT_WORKDIRS = {"local_ca": DEFAULT_WORKDIR, "acme": BUILD / "demo-fleet-acme"}
OPTIONAL_COLLECTIONS = BUILD / "optional-collections"
COMMUNITY_CRYPTO = OPTIONAL_COLLECTIONS / "ansible_collections" / "community" / "crypto"
CHALLTESTSRV_TASKS = ROOT / "examples" / "acme" / "dns-challtestsrv.yml"
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


def run_playbook(
    inventory: Path,
    log_path: Path,
    transport: str = "api",
    playbook: Path = PLAYBOOK,
    extra_vars_file: Path | None = None,
    check: bool = False,
    echo: bool = True,
) -> tuple[int, str]:
    """Run ``playbook`` (playbooks/demo.yml) against the fleet over ``transport``; its output goes to the terminal
    (unless not ``echo``) and to ``log_path``. ``extra_vars_file`` (the acme provider's variables) adds
    build/optional-collections to the collections path."""
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    argv = [str(ansible_playbook), "-i", str(inventory), "-i", str(SPEC_INVENTORY), str(playbook)]
    argv += ["-e", f"bomgar_transport={transport}"]
    collections = [str(BUILD)]
    if extra_vars_file is not None:
        argv += ["-e", f"@{extra_vars_file}"]
        collections.append(str(OPTIONAL_COLLECTIONS))
    if check:
        argv.append("--check")
    environment = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(collections),
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
            if echo:
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


# Run with --check before the demo playbook: what the certificate role would do on the primary, and Pebble's root
# into the primary's certificate store (for real: check_mode false) when the role is to order. Pebble sends the
# certificate and its intermediate, whose root the role's import must find on the appliance.
ACME_PLAN_PLAYBOOK = """\
---
# Written by scripts/demo.py --provider acme, and run with --check before playbooks/demo.yml.
- name: Demo | would the certificate role order from Pebble? Pebble's root on the primary when it would
  hosts: bomgar_primary
  gather_facts: false
  vars:
    demo_acme_action: "{{ certificate_result.action | default('unknown') }}"
  tasks:
    - name: The certificate role, in check mode
      ansible.builtin.include_role:
        name: bomgar.pki.certificate

    - name: Import Pebble's root into the primary, for the order
      bomgar.pki.appliance_cert_import:
        appliance_url: "{{ bomgar_appliance_url }}"
        transport: "{{ bomgar_transport | default(omit, true) }}"
        api_token: "{{ bomgar_api_token | default(omit, true) }}"
        username: "{{ bomgar_username | default(omit, true) }}"
        password: "{{ bomgar_password | default(omit, true) }}"
        ca_path: "{{ bomgar_ca_path | default(omit) }}"
        src:
          - "{{ demo_pebble_root }}"
      check_mode: false
      when: demo_acme_action != 'none'
      register: demo_root_import

    - name: Write down the decision for scripts/demo.py
      ansible.builtin.copy:
        dest: "{{ demo_plan_file }}"
        content: "{{ {'action': demo_acme_action, 'root_imported': demo_root_import is changed} | to_json }}"
        mode: "0644"
      check_mode: false
"""


def certificate_fingerprints(pem: str) -> list[str]:
    """SHA-256 fingerprints of the certificates in ``pem``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    return [cert.fingerprint(hashes.SHA256()).hex() for cert in x509.load_pem_x509_certificates(pem.encode("ascii"))]


def ensure_account_key(path: Path) -> None:
    """The ACME account key (EC P-256, PKCS#8 PEM, 0600), made once and kept with the demo's state."""
    if path.exists():
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def acme_files(workdir: Path, lab: dict) -> dict[str, Path]:
    """The acme provider's files in ``workdir/acme``: account key, extra variables, the check-mode playbook, the
    decision it writes, and the roots of every Pebble whose root the primary was given."""
    folder = workdir / "acme"
    files = {
        "folder": folder,
        "account_key": folder / "account.key",
        "vars": folder / "vars.json",
        "plan": folder / "plan.yml",
        "decision": folder / "plan.json",
        "roots": folder / "pebble-roots.pem",
    }
    ensure_account_key(files["account_key"])
    variables = {
        "certificate_provider": "acme",
        "certificate_acme_mode": "controller",
        "certificate_acme_directory": lab["directory_url"],
        "certificate_acme_ca_path": lab["ca_bundle"],
        "certificate_acme_account_key_src": str(files["account_key"]),
        "certificate_acme_contact": ["pki-team@example.com"],
        "certificate_acme_dns_tasks": str(CHALLTESTSRV_TASKS),
        "challtestsrv_url": lab["challtestsrv_url"],
        # An ACME CA writes only the names: the subject is the certificate's name, one of them.
        "certificate_subject": {"common_name": "{{ certificate_name }}"},
        "certificate_local_ca_create": False,
        # What the demo playbook and the report verify the served chains against.
        "demo_root_file": str(files["roots"]),
        "report_ca_bundle": str(files["roots"]),
        "demo_pebble_root": lab["roots"],
        "demo_plan_file": str(files["decision"]),
    }
    files["vars"].write_text(json.dumps(variables, indent=2) + "\n", encoding="utf-8")
    files["plan"].write_text(ACME_PLAN_PLAYBOOK, encoding="utf-8")
    files["decision"].unlink(missing_ok=True)
    return files


def keep_root(roots_file: Path, root_pem: str) -> None:
    """Add ``root_pem`` to ``roots_file`` unless it is there already."""
    kept = roots_file.read_text(encoding="ascii") if roots_file.exists() else ""
    if kept and set(certificate_fingerprints(root_pem)) <= set(certificate_fingerprints(kept)):
        return
    roots_file.write_text(kept + root_pem.strip() + "\n", encoding="ascii")


def acme_prepare(paths: dict, files: dict, lab: dict, transport: str) -> dict | None:
    """Run the check-mode playbook; the decision (``action``, ``root_imported``), or None when it failed. The
    running Pebble's root joins the kept roots when the role is to order."""
    status = run_playbook(
        paths["inventory"], paths["logs"] / "acme-plan.log", transport, files["plan"], files["vars"], True, False
    )[0]
    try:
        decision = json.loads(files["decision"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        decision = None
    if status != 0 or decision is None:
        return None
    if decision["action"] != "none":
        keep_root(files["roots"], Path(lab["roots"]).read_text(encoding="ascii"))
    return decision


def print_acme_checks(info: dict, roots: Path) -> bool:
    """``openssl s_client`` on every address of the site against the kept Pebble roots; whether all verified."""
    shown = roots.relative_to(ROOT) if roots.is_relative_to(ROOT) else roots
    print(f"   what every address serves, verified against the root of the Pebble that issued it ({shown}):")
    verified = True
    for member in info["appliances"]:
        for address in member["ip_addresses"]:
            command, verdict = openssl_check(address, info["site_port"], member["site_hostname"], roots)
            verified = verified and verdict.startswith("Verify return code: 0 (ok)")
            print(f"   {command.replace(str(ROOT) + os.sep, '')}\n     -> {verdict}")
    return verified


def print_report_counts(path: Path) -> None:
    """The report's endpoints by status, one line."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    counts = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in document["counts"].items() if count)
    print(f"     {document['totals']['endpoints']} endpoints: {counts or 'none'} (as of {document['as_of']})")


def print_summary(workdir: Path, info: dict, counts: dict, started: bool, acme: dict | None = None) -> bool:
    """What happened, what every address serves now, where the bundle is, how to look with openssl; with ``acme``
    (the acme provider's files and decision), openssl's verdict on every address. Whether every check passed."""
    changed = sum(host["changed"] for host in counts.values())
    print("\n== Summary")
    if changed:
        print(f"   {changed} change(s): " + ", ".join(f"{h} {c['changed']}" for h, c in counts.items() if c["changed"]))
    else:
        print("   nothing changed: every appliance already serves the certificate the spec asks for")
    if not started:
        print("   (the appliances were already running and were reused)")
    if acme is not None and acme["decision"]["root_imported"]:
        print("   and, before the playbook, Pebble's root was imported into the primary")
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
    verified = True
    root = workdir / "ca" / "root.pem"
    if acme is not None:
        verified = print_acme_checks(info, acme["files"]["roots"])
    elif root.exists():
        primary = info["appliances"][0]
        command, verdict = openssl_check(primary["ip_addresses"][0], info["site_port"], primary["site_hostname"], root)
        print(f"   {command.replace(str(ROOT) + os.sep, '')}\n     -> {verdict}")
    print(f"   state, inventory and logs: {workdir.relative_to(ROOT) if workdir.is_relative_to(ROOT) else workdir}")
    return verified


def start_acme(paths: dict, lab_dir: Path, transport: str) -> dict | None:
    """Pebble and challtestsrv, the acme provider's files, and Pebble's root on the primary when the certificate
    role is to order; the files, the lab and the decision, or None (having said why) when that failed."""
    print(f"== Starting Pebble and pebble-challtestsrv on loopback (state in {lab_dir})")
    try:
        lab, started = start_lab(lab_dir)
    except LabError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return None
    reused = "" if started else " (already running, reused)"
    print(f"   ACME directory {lab['directory_url']}; DNS by challtestsrv {lab['challtestsrv_url']}{reused}")
    files = acme_files(paths["dir"], lab)
    print("== Would the certificate role order from Pebble? (ansible-playbook --check on the primary)")
    decision = acme_prepare(paths, files, lab, transport)
    if decision is None:
        print(f"demo failed: the check-mode run failed; see {paths['logs'] / 'acme-plan.log'}", file=sys.stderr)
        return None
    if decision["action"] == "none":
        print("   no: the certificate stays, so the primary needs no root of this Pebble (new on every start)")
    else:
        imported = "imported into" if decision["root_imported"] else "already on"
        print(f"   yes ({decision['action']}): Pebble's root is {imported} the primary, for the chain Pebble sends")
    return {"files": files, "lab": lab, "decision": decision}


def main(argv: list[str] | None = None) -> int:
    """Start the fleet, run the playbook, print the summary, stop the fleet."""
    parser = argparse.ArgumentParser(prog="python scripts/demo.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument(
        "--workdir",
        type=Path,
        help=f"state of the demo (default {DEFAULT_WORKDIRS['local_ca'].relative_to(ROOT)}, "
        f"{DEFAULT_WORKDIRS['acme'].relative_to(ROOT)} with --provider acme)",
    )
    parser.add_argument("--keep-running", action="store_true", help="leave the appliances running afterwards")
    parser.add_argument(
        "--transport",
        choices=("api", "web"),
        default="api",
        help="how the modules reach the appliances: their API, or their /appliance web interface "
        "(make demo TRANSPORT=web; default %(default)s)",
    )
    parser.add_argument(
        "--provider",
        choices=("local_ca", "acme"),
        default="local_ca",
        help="who signs the site certificate: a local CA on the controller, or Pebble, an ACME CA on loopback "
        "(the role's acme provider, controller mode, DNS-01; make demo PROVIDER=acme; default %(default)s)",
    )
    args = parser.parse_args(argv)
    workdir = (args.workdir or DEFAULT_WORKDIRS[args.provider]).absolute()
    ensure_collection_link()
    if args.provider == "acme" and not (COMMUNITY_CRYPTO / "MANIFEST.json").is_file():
        print(
            f"demo failed: --provider acme orders with community.crypto, which is not in {OPTIONAL_COLLECTIONS}: "
            "run make optional-collections",
            file=sys.stderr,
        )
        return 1
    paths = fleet_paths(workdir)
    lab_dir = workdir / "pebble"
    print(f"== Starting {APPLIANCES} reference appliances on loopback (state in {workdir})")
    try:
        info, started = start_fleet(workdir, APPLIANCES, site_port=PREFERRED_SITE_PORT)
    except FleetError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    try:
        members = ", ".join(f"{m['hostname']} ({m['ip_addresses'][0]})" for m in info["appliances"])
        print(f"   {members}; site port {info['site_port']}")
        paths["logs"].mkdir(parents=True, exist_ok=True)
        acme = None
        if args.provider == "acme":
            acme = start_acme(paths, lab_dir, args.transport)
            if acme is None:
                return 1
        print(f"== ansible-playbook {PLAYBOOK.relative_to(ROOT)} (transport: {args.transport})")
        status, output = run_playbook(
            paths["inventory"],
            paths["logs"] / "ansible.log",
            args.transport,
            extra_vars_file=acme["files"]["vars"] if acme else None,
        )
        counts = recap(output)
        if status != 0:
            print(f"\ndemo failed: ansible-playbook exited with {status}; see {paths['logs'] / 'ansible.log'}")
            return status
        if not print_summary(workdir, info, counts, started, acme):
            print("\ndemo failed: openssl did not verify what every address serves against Pebble's root")
            return 1
        return 0
    finally:
        if args.keep_running:
            print(f"   the appliances keep running; stop them with: python scripts/fleet.py stop --dir {workdir}")
            if args.provider == "acme":
                print(f"   Pebble keeps running; stop it with: python scripts/pebble_lab.py stop --dir {lab_dir}")
        else:
            stop_fleet(workdir)
            print("== Stopped the appliances")
            if args.provider == "acme" and stop_lab(lab_dir):
                print("== Stopped Pebble and pebble-challtestsrv")


if __name__ == "__main__":
    sys.exit(main())

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the certificate role does on one appliance: checks, decision, plan, plan text, result.

Pure functions over the role's variables (without their ``certificate_``
prefix) and what ``appliance_certificate_info`` read from the appliance. The
decision itself is :func:`certificate_decision.decide`; this adds what the
role needs around it: the checks of the variables, taking up a pending request
of an earlier run, which earlier certificates to delete, what the addresses
serve before the run, whether the vendor must rebuild the software, the plan as
text, the result of a run with nothing to do, and whether the addresses of a
certificate that stays already serve it.
"""

from __future__ import annotations

import os
import re

from .acme_rules import contact_uris, http01_wildcards, identifier_names
from .appliance.resources import served_chain_matches
from .certificate_decision import ACTION_NONE, decide, made_by_the_role
from .procedure_rules import software_update_of, software_update_required

try:
    from .pki.hostnames import uncovered_hostnames
except ImportError:  # the names rules need cryptography; reported by deps.require_cryptography()
    uncovered_hostnames = None

PROVIDER_SELF_SIGNED = "self_signed"
PROVIDER_LOCAL_CA = "local_ca"
PROVIDER_MANUAL = "manual"
PROVIDER_ACME = "acme"
ACME_CONTROLLER = "controller"
ACME_APPLIANCE = "appliance"
# The collection the controller mode orders with, and the oldest release it is known to work with.
ACME_COLLECTION = "community.crypto"
ACME_COLLECTION_MINIMUM = (3, 0, 0)
# The key types of the appliance's ACME client, by the role's key variables.
APPLIANCE_ACME_KEY_TYPES = {
    ("rsa", 2048): "rsa-2048",
    ("rsa", 3072): "rsa-3072",
    ("rsa", 4096): "rsa-4096",
    ("ec", "P-256"): "ec-p256",
    ("ec", "P-384"): "ec-p384",
}
# The decision's triggers that make the appliance's ACME client order now (the others change its settings, and a
# change of settings makes it order by itself).
APPLIANCE_ACME_ORDER_NOW = ("forced", "renewal_due")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
DELETE_KEYS = ("id", "friendly_name", "sha256_fingerprint", "not_before")
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(text: str) -> str:
    """``text`` with every run of characters other than letters, digits, ``.``, ``_`` and ``-`` as ``_``."""
    return _UNSAFE_FILE_CHARACTERS.sub("_", str(text))


# --- the variables ---------------------------------------------------------------------------


def hostnames_of(values: dict) -> list:
    """``hostnames`` as given, else the DNS names of ``subject_alt_name`` that are not wildcards."""
    if values.get("hostnames") is not None:
        return list(values["hostnames"])
    names = []
    for entry in values.get("subject_alt_name") or []:
        text = str(entry)
        if text[:4].lower() == "dns:" and text[4:5] not in ("", "*"):
            names.append(text[4:])
    return names


def check_variables(values: dict, prefix: str = "", is_file=os.path.isfile) -> list:
    """The problems of variables that fit together badly, each naming the variable and the fix; [] when none.

    ``is_file`` tells whether a path on the controller is a file (the files the acme provider reads).
    """

    def var(name: str) -> str:
        return prefix + name

    problems = []
    sans = list(values.get("subject_alt_name") or [])
    if not sans:
        problems.append(
            f"{var('subject_alt_name')} is empty; give the names the site needs, e.g. DNS:support.example.com."
        )
    if not values.get("ip_addresses"):
        problems.append(
            f"{var('ip_addresses')} is empty; give the addresses of the appliance that serve the certificate "
            "(the default is bomgar_ip_addresses from the inventory)."
        )
    if values.get("renew_before_days") is not None and values.get("renew_before_percent") is not None:
        problems.append(
            f"{var('renew_before_days')} and {var('renew_before_percent')} are mutually exclusive; set one of them."
        )
    provider = values.get("provider")
    if provider == PROVIDER_LOCAL_CA and not (values.get("local_ca_cert") and values.get("local_ca_key")):
        problems.append(
            f"{var('provider')} local_ca needs {var('local_ca_cert')} and {var('local_ca_key')} (the issuing "
            f"CA's certificate and key on the controller); add {var('local_ca_create')} true to make a CA there."
        )
    if provider == PROVIDER_MANUAL and not (values.get("manual_request_dir") and values.get("manual_drop_dir")):
        problems.append(
            f"{var('provider')} manual needs {var('manual_request_dir')} (where the request is written for the "
            f"CA) and {var('manual_drop_dir')} (where the signed certificate and the CA's files are put)."
        )
    uncovered = uncovered_hostnames(list(dict.fromkeys(hostnames_of(values))), sans) if sans else []
    if uncovered:
        problems.append(
            f"{var('hostnames')} {', '.join(uncovered)} are not covered by {var('subject_alt_name')} "
            f"{', '.join(sans)} (a wildcard covers exactly one label); add them to the names, or correct "
            f"{var('hostnames')}."
        )
    if int(values.get("keep_previous") or 0) < 0:
        problems.append(f"{var('keep_previous')} is negative; give how many earlier certificates to keep (0 or more).")
    if provider == PROVIDER_ACME:
        problems.extend(acme_problems(values, prefix, is_file))
    return problems


# --- the acme provider ---------------------------------------------------------------------------


def acme_mode(values: dict) -> str | None:
    """``controller`` or ``appliance`` for the acme provider (controller when not given); None for the others."""
    if (values.get("provider") or PROVIDER_SELF_SIGNED) != PROVIDER_ACME:
        return None
    return values.get("acme_mode") or ACME_CONTROLLER


def acme_names(values: dict) -> list:
    """The DNS names of ``subject_alt_name``, in order, as the ACME order's identifiers (lower case, each once)."""
    return identifier_names(
        str(entry)[4:] for entry in values.get("subject_alt_name") or [] if str(entry)[:4].lower() == "dns:"
    )


def acme_dns_tasks_path(values: dict) -> str | None:
    """The DNS task file as an absolute path (a relative one is taken from the directory ansible-playbook runs in)."""
    path = values.get("acme_dns_tasks")
    return os.path.abspath(os.path.expanduser(str(path))) if path else None


def acme_problems(values: dict, prefix: str = "", is_file=os.path.isfile) -> list:
    """What the acme provider refuses before anything is changed, each naming the variable and the fix."""

    def var(name: str) -> str:
        return prefix + name

    problems = []
    mode = acme_mode(values)
    directory = values.get("acme_directory")
    if not directory:
        problems.append(
            f"{var('provider')} acme needs {var('acme_directory')}, the URL of the CA's ACME directory (for "
            "example https://acme-v02.api.letsencrypt.org/directory, or "
            "https://acme-staging-v02.api.letsencrypt.org/directory to try it out)."
        )
    elif not str(directory).lower().startswith("https://"):
        problems.append(
            f"{var('acme_directory')} {directory} is not an https:// URL; an ACME directory is served over HTTPS "
            "(RFC 8555, section 6.1). Give the directory URL the CA publishes."
        )
    sans = [str(entry) for entry in values.get("subject_alt_name") or []]
    addresses = [entry for entry in sans if entry[:3].lower() == "ip:"]
    if addresses:
        problems.append(
            f"{var('provider')} acme cannot order {', '.join(addresses)}: the names are proven over DNS-01 "
            f"({var('acme_mode')} controller) or HTTP-01 for DNS names ({var('acme_mode')} appliance), never for "
            f"an IP address. Leave the IP entries out of {var('subject_alt_name')}, or use another provider."
        )
    names = acme_names(values)
    subject = {key: value for key, value in (values.get("subject") or {}).items() if value not in (None, "")}
    others = sorted(key for key in subject if key != "common_name")
    if others:
        problems.append(
            f"{var('provider')} acme: the CA writes only the names into the certificate, so {var('subject')} "
            f"{', '.join(others)} would never match what it issues. Leave {var('subject')} empty, or give only "
            "common_name (one of the DNS names)."
        )
    common_name = subject.get("common_name")
    if common_name and str(common_name).strip().rstrip(".").lower() not in names:
        problems.append(
            f"{var('subject')}.common_name {common_name} is not one of the DNS names of {var('subject_alt_name')}; "
            "an ACME CA orders every name of the request, the common name too. Leave common_name out, or make it "
            f"{names[0] if names else 'one of the DNS names'}."
        )
    problems.extend(_acme_mode_problems(values, mode, var, is_file))
    contact_problems = [
        str(entry) for entry in values.get("acme_contact") or [] if ":" not in str(entry) and "@" not in str(entry)
    ]
    if contact_problems:
        problems.append(
            f"{var('acme_contact')} {', '.join(contact_problems)} is neither an e-mail address nor a mailto: URI; "
            "give the addresses the CA may write to about the account, e.g. pki-team@example.com."
        )
    ca_path = values.get("acme_ca_path")
    if ca_path and not is_file(str(ca_path)):
        problems.append(
            f"{var('acme_ca_path')} {ca_path} is not a file on the controller; give the PEM file of the CA that "
            "signs the ACME directory's HTTPS certificate, or leave it unset for the system's trust store."
        )
    key_id, hmac = values.get("acme_eab_key_id"), values.get("acme_eab_hmac")
    if bool(key_id) != bool(hmac):
        given, missing = (var("acme_eab_key_id"), var("acme_eab_hmac"))[:: 1 if key_id else -1]
        problems.append(
            f"{given} is set but {missing} is not: the CA hands out both for its external account binding; give "
            "both, or neither."
        )
    elif hmac and not _BASE64URL.match(str(hmac).strip()):
        problems.append(
            f"{var('acme_eab_hmac')} is not base64url text (letters, digits, - and _), the form CAs hand out the "
            "HMAC key in; copy it as the CA gave it."
        )
    timeout = values.get("acme_wait_timeout")
    if timeout is not None and int(timeout) < 1:
        problems.append(f"{var('acme_wait_timeout')} is {timeout}; give the seconds to wait for the CA, 1 or more.")
    return problems


def _acme_mode_problems(values: dict, mode: str, var, is_file) -> list:
    """What one mode of the acme provider refuses."""
    problems = []
    if mode == ACME_APPLIANCE:
        wildcards = http01_wildcards(acme_names(values))
        if wildcards:
            problems.append(
                f"{var('acme_mode')} appliance cannot order {', '.join(wildcards)}: the appliance's ACME client "
                "proves names over HTTP-01, which cannot prove a wildcard. Use "
                f"{var('acme_mode')} controller (DNS-01) for wildcards, or list the names one by one in "
                f"{var('subject_alt_name')}."
            )
        if values.get("rekey"):
            problems.append(
                f"{var('rekey')} cannot be done by the appliance's ACME client ({var('acme_mode')} appliance): it "
                f"keeps its key until the key type changes. Change {var('key_type')}, {var('key_size')} or "
                f"{var('key_curve')} for a new key, or use {var('acme_mode')} controller."
            )
        return problems
    src, content = values.get("acme_account_key_src"), values.get("acme_account_key_content")
    if src and content:
        problems.append(
            f"{var('acme_account_key_src')} and {var('acme_account_key_content')} are mutually exclusive; give the "
            "account key once, as a file or as its (vaulted) PEM text."
        )
    elif not src and not content:
        problems.append(
            f"{var('acme_mode')} controller needs the ACME account key on the controller: "
            f"{var('acme_account_key_src')} (a PEM file) or {var('acme_account_key_content')} (its PEM text, "
            "vaulted). Make one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "
            "acme-account.key"
        )
    elif src and not is_file(str(src)):
        problems.append(
            f"{var('acme_account_key_src')} {src} is not a file on the controller; give the PEM file of the ACME "
            "account key (make one with: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)."
        )
    elif content and "PRIVATE KEY-----" not in str(content):
        problems.append(
            f"{var('acme_account_key_content')} holds no PEM private key; give the account key's PEM text "
            "(-----BEGIN ... PRIVATE KEY-----)."
        )
    dns_tasks = acme_dns_tasks_path(values)
    if not dns_tasks:
        problems.append(
            f"{var('acme_mode')} controller proves the names over DNS-01 and needs {var('acme_dns_tasks')}, a "
            "task file of yours that sets and removes a TXT record (docs/acme.md, 'The DNS task file')."
        )
    elif not is_file(dns_tasks):
        problems.append(
            f"{var('acme_dns_tasks')} {dns_tasks} is not a file on the controller; give the path of your DNS task "
            "file (a relative path is taken from the directory ansible-playbook was started in)."
        )
    return problems


def _version_tuple(text) -> tuple:
    parts = []
    for piece in str(text or "").split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (3 - len(parts)))


def acme_collection_problem(found: dict | None, prefix: str = "") -> str | None:
    """Why the controller mode cannot order (community.crypto missing or too old), or None.

    ``found`` is ``{version, path}`` of the installed collection, or None when it is not installed.
    """
    minimum = ".".join(str(part) for part in ACME_COLLECTION_MINIMUM)
    wanted = f"{ACME_COLLECTION} >= {minimum}"
    install = f"ansible-galaxy collection install '{ACME_COLLECTION}>={minimum}'"
    if found is None:
        return (
            f"{prefix}provider acme with {prefix}acme_mode controller orders with the collection {wanted}, which is "
            f"not installed on the controller. Install it: {install} (or pip install ansible, which includes it)."
        )
    version = found.get("version")
    if version and _version_tuple(version) < ACME_COLLECTION_MINIMUM:
        return (
            f"{prefix}provider acme with {prefix}acme_mode controller orders with the collection {wanted}, but "
            f"{ACME_COLLECTION} {version} is installed ({found.get('path')}). Upgrade it: {install} --upgrade."
        )
    return None


def acme_settings_drift(configuration: dict | None, acme: dict, values: dict) -> str | None:
    """Why the appliance's own ACME client must be set again (appliance mode), or None when it holds what the role
    asks for; None too when the read did not include its settings."""
    if configuration is None:
        return None
    if not configuration.get("enabled"):
        return "the appliance's ACME client is off"
    wanted = {
        "directory_url": acme.get("directory"),
        "hostnames": acme.get("hostnames"),
        "key_type": acme.get("key_type"),
        "friendly_name": acme.get("friendly_name"),
        "ip_addresses": sorted(values.get("ip_addresses") or []),
        "contact": acme.get("contact"),
        "eab_key_id": values.get("acme_eab_key_id") or None,
    }
    held = {
        "directory_url": configuration.get("directory_url"),
        "hostnames": [str(name).lower() for name in configuration.get("hostnames") or []],
        "key_type": configuration.get("key_type"),
        "friendly_name": configuration.get("friendly_name"),
        "ip_addresses": sorted(configuration.get("ip_addresses") or []),
        "contact": list(configuration.get("contact") or []),
        "eab_key_id": configuration.get("eab_key_id") or None,
    }
    differ = [name for name in wanted if wanted[name] != held[name]]
    if values.get("acme_eab_hmac") and not configuration.get("eab_hmac_configured"):
        differ.append("eab_hmac")
    if differ:
        return f"the appliance's ACME client holds other settings ({', '.join(differ)})"
    return None


def acme_plan(values: dict, decision: dict, info: dict) -> dict:
    """What the role's ACME steps need (``mode`` None for the other providers)."""
    mode = acme_mode(values)
    if mode is None:
        return {"mode": None}
    ca_path = values.get("acme_ca_path")
    plan = {
        "mode": mode,
        "directory": values.get("acme_directory"),
        "contact": contact_uris(values.get("acme_contact")),
        "names": acme_names(values),
        # The ACME modules trust the system's CAs and, through SSL_CERT_FILE, the directory's own CA.
        "environment": {"SSL_CERT_FILE": os.path.abspath(str(ca_path))} if ca_path else {},
    }
    if mode == ACME_CONTROLLER:
        plan.update(challenge="dns-01", dns_tasks=acme_dns_tasks_path(values))
        return plan
    key_type = values.get("key_type") or "rsa"
    size_or_curve = values.get("key_size") if key_type == "rsa" else values.get("key_curve")
    plan.update(
        challenge="http-01",
        hostnames=plan["names"],
        key_type=APPLIANCE_ACME_KEY_TYPES.get((key_type, size_or_curve)),
        friendly_name=values.get("name"),
        renew_now=any(trigger in APPLIANCE_ACME_ORDER_NOW for trigger in decision.get("triggers") or []),
    )
    plan["configure"] = acme_settings_drift(info.get("acme") if "acme" in info else None, plan, values)
    return plan


def decision_spec(values: dict, local_ca_root: str | None, renewal_info: dict | None = None) -> dict:
    """The spec of :func:`certificate_decision.decide` from the role's variables.

    ``renewal_info`` (``{window, reason}``) is what the ACME CA said about renewing the current certificate (the
    acme provider's controller mode); the acme provider always has one, so that the ACME rule decides renewal.
    """
    if acme_mode(values) is not None and renewal_info is None:
        renewal_info = {"window": None, "reason": "the CA's renewal information was not read"}
    key_type = values.get("key_type") or "rsa"
    return {
        "name": values.get("name"),
        "subject": {key: value for key, value in (values.get("subject") or {}).items() if value is not None},
        "subject_alt_name": list(values.get("subject_alt_name") or []),
        "key_type": key_type,
        "key_size": values.get("key_size") if key_type == "rsa" else None,
        "key_curve": values.get("key_curve") if key_type == "ec" else None,
        "expected_root_fingerprint": local_ca_root,
        "renew_before_days": values.get("renew_before_days"),
        "renew_before_percent": values.get("renew_before_percent"),
        "rekey": bool(values.get("rekey")),
        "force": bool(values.get("force")),
        "provider": values.get("provider") or PROVIDER_SELF_SIGNED,
        "renewal_info": renewal_info,
        "now": values.get("now"),
    }


# --- the plan ----------------------------------------------------------------------------------


def pending_requests(info: dict, name: str) -> list:
    """The pending requests the role made under this name, oldest first (the manual provider's first phase, or
    a run that was interrupted after making its request)."""
    pending = [
        request
        for request in info.get("requests") or []
        if request.get("status") == "pending" and made_by_the_role(request.get("friendly_name"), name)
    ]
    return sorted(pending, key=lambda request: str(request.get("created_at") or ""))


def pending_request(info: dict, name: str) -> dict | None:
    """The newest pending request the role made under this name, or None."""
    pending = pending_requests(info, name)
    return pending[-1] if pending else None


def leftovers(info: dict, name: str, taken_up: str | None) -> dict:
    """What interrupted runs left: the role's pending requests not taken up now, and the keys only they use.

    ``{requests: [{id, friendly_name}], keys: [{id, name}]}``; a key that a certificate or another request uses
    stays.
    """
    requests = [request for request in pending_requests(info, name) if request.get("friendly_name") != taken_up]
    ids = {request.get("id") for request in requests}
    keys = []
    for key in info.get("keys") or []:
        used = key.get("used_by") or {}
        mine = any(request.get("key_id") == key.get("id") for request in requests)
        if mine and not used.get("certificates") and set(used.get("requests") or []) <= ids:
            keys.append({"id": key.get("id"), "name": key.get("name")})
    return {
        "requests": [{"id": request.get("id"), "friendly_name": request.get("friendly_name")} for request in requests],
        "keys": keys,
    }


def resumption(info: dict, values: dict, decision: dict) -> dict:
    """``{resumed: true, ...}`` when a pending request of an earlier run is taken up, else ``{resumed: false}``."""
    pending = pending_request(info, values["name"])
    key = None
    if pending:
        key = next((k for k in info.get("keys") or [] if k.get("id") == pending.get("key_id")), None)
    if (
        key is None
        or (values.get("provider") or PROVIDER_SELF_SIGNED) == PROVIDER_SELF_SIGNED
        or acme_mode(values) == ACME_APPLIANCE
        or decision["action"] == ACTION_NONE
    ):
        return {"resumed": False}
    key_type = values.get("key_type") or "rsa"
    fits = key.get("type") == key_type and (
        key.get("size") == values.get("key_size") if key_type == "rsa" else key.get("curve") == values.get("key_curve")
    )
    current_key_id = (decision.get("current") or {}).get("key_id")
    if decision["new_key"]:
        take_up = key.get("id") != current_key_id and fits
    else:
        take_up = key.get("name") == decision["key_name"]
    if not take_up:
        return {"resumed": False}
    return {
        "resumed": True,
        "friendly_name": pending.get("friendly_name"),
        "key_name": key.get("name"),
        "new_key": False,
        "key_exists": True,
        "key_made_for_request": bool(decision["new_key"]),
    }


def previous_bindings(info: dict, ip_addresses: list) -> list:
    """The bindings of the role's addresses before the run: what a failed check restores."""
    wanted = set(ip_addresses)
    return [binding for binding in info.get("bindings") or [] if binding.get("address") in wanted]


def certificates_to_delete(info: dict, name: str, ip_addresses: list, keep_previous: int, previous: list) -> list:
    """Earlier certificates of this name beyond ``keep_previous`` that serve no address outside the role's.

    Certificates that serve the role's addresses now are kept first, then the newest.
    """
    family = sorted(
        (
            cert
            for cert in info.get("certificates") or []
            if cert.get("role") == "server"
            and not cert.get("factory_default")
            and made_by_the_role(cert.get("friendly_name"), name)
        ),
        key=lambda cert: str(cert.get("not_before") or ""),
        reverse=True,
    )
    serving = {binding.get("sha256_fingerprint") for binding in previous}
    ordered = [cert for cert in family if cert.get("sha256_fingerprint") in serving]
    ordered += [cert for cert in family if cert.get("sha256_fingerprint") not in serving]
    addresses = set(ip_addresses)
    return [
        {key: cert[key] for key in DELETE_KEYS if key in cert}
        for cert in ordered[max(0, int(keep_previous)) :]
        if set(cert.get("ip_addresses") or []) <= addresses
    ]


def build_plan(info: dict, values: dict, local_ca_root: str | None = None, renewal_info: dict | None = None) -> dict:
    """The decision with everything the role's later steps read (the keys of ``certificate_plan``).

    ``renewal_info`` is the ACME CA's ARI window of the current certificate (``{window, reason}``), for the acme
    provider.
    """
    provider = values.get("provider") or PROVIDER_SELF_SIGNED
    decision = decide(info, decision_spec(values, local_ca_root, renewal_info))
    acme = acme_plan(values, decision, info)
    if acme["mode"] == ACME_APPLIANCE:
        # The appliance's ACME client makes and keeps the key, and installs the certificate under this name.
        decision.update(friendly_name=values.get("name"), key_name=None, new_key=False, key_exists=False)
    resume = resumption(info, values, decision)
    ip_addresses = list(values.get("ip_addresses") or [])
    previous = previous_bindings(info, ip_addresses)
    trusted = list((info.get("status") or {}).get("trusted_root_fingerprints") or [])
    new_root = local_ca_root if provider == PROVIDER_LOCAL_CA else None
    # The manual provider's root is known once the CA's answer is imported. A new self-signed certificate is its
    # own root, and a local CA made in this run is new: no software build trusts either yet.
    # An ACME CA's root is known once its answer is imported too.
    software_update = (
        None if provider in (PROVIDER_MANUAL, PROVIDER_ACME) else software_update_required(new_root, trusted)
    )
    request_file = None
    if provider == PROVIDER_MANUAL:
        friendly_name = resume.get("friendly_name") or decision["friendly_name"]
        request_file = f"{values.get('manual_request_dir')}/{safe_file_name(friendly_name)}.csr"
    if acme["mode"] is not None:
        served = ", ".join(f"{b.get('address')} serves {b.get('friendly_name')}" for b in previous)
        acme["kept"] = f"{served}, as before" if served else "the addresses serve what they served before"
    plan = dict(decision)
    plan.update(resume)
    plan.update(
        {
            "request_file": request_file,
            "delete": certificates_to_delete(
                info, values["name"], ip_addresses, int(values.get("keep_previous") or 0), previous
            ),
            "leftovers": leftovers(info, values["name"], resume.get("friendly_name")),
            "previous_bindings": previous,
            "previous_fingerprint": next(
                (b.get("sha256_fingerprint") for b in previous if b.get("serving") != "factory_default"), None
            ),
            "trusted_roots": trusted,
            "new_root": new_root,
            "software_update": software_update,
            "acme": acme,
        }
    )
    return plan


# --- what a certificate that stays needs ----------------------------------------------------------


def kept_result(plan: dict) -> dict:
    """``certificate_result`` of a run that keeps the current certificate."""
    current = plan.get("current") or {}
    trust = software_update_of(current, {"trusted_root_fingerprints": plan.get("trusted_roots")})
    return {
        "action": plan["action"],
        "reasons": list(plan["reasons"]),
        "friendly_name": current.get("friendly_name", plan.get("friendly_name")),
        "sha256_fingerprint": current.get("sha256_fingerprint"),
        "previous_fingerprint": None,
        "software_update_required": trust["software_update_required"],
        "root_fingerprint": trust["root_fingerprint"],
        "bundle": None,
    }


def binding_drift(current: dict, info: dict, ip_addresses: list, hostnames: list) -> str | None:
    """Why the addresses must be bound again for a certificate that stays, or None when they serve it already.

    Looks at the appliance's bindings only (what TLS serves is :func:`served_drift`); a reason here hands the
    addresses to ``appliance_ip_binding``, which binds them or refuses with the fix.
    """
    bound = {b.get("address") for b in info.get("bindings") or [] if b.get("certificate_id") == current.get("id")}
    wanted = set(ip_addresses)
    if bound != wanted:
        extra = sorted(bound - wanted)
        missing = sorted(wanted - bound)
        parts = [f"not on {', '.join(missing)}"] if missing else []
        parts += [f"also on {', '.join(extra)}"] if extra else []
        return f"'{current.get('friendly_name')}' is bound {' and '.join(parts)}"
    if not current.get("private_key_available"):
        return f"the private key of '{current.get('friendly_name')}' is not available on the appliance"
    uncovered = uncovered_hostnames(list(hostnames), list(current.get("subject_alt_name") or [])) if hostnames else []
    if uncovered:
        return f"'{current.get('friendly_name')}' does not cover {', '.join(uncovered)}"
    return None


def served_matches(cert: dict, served: list) -> bool:
    """True when an address serves the certificate with its chain (a complete chain may leave out the root)."""
    return served_chain_matches(list(cert.get("chain") or []), served, cert.get("chain_status") == "complete")


# --- the plan as text ------------------------------------------------------------------------------


def _key_text(values: dict) -> str:
    if (values.get("key_type") or "rsa") == "rsa":
        return f"RSA {values.get('key_size')}"
    return f"EC {values.get('key_curve')}"


def plan_lines(plan: dict, values: dict, check_mode: bool = False, prefix: str = "") -> list:
    """The plan as the role prints it: what happens, why, key, signing, binding, cleanup, vendor."""
    issuing = plan["action"] != ACTION_NONE
    current = plan.get("current") or {}
    provider = values.get("provider") or PROVIDER_SELF_SIGNED
    ip_text = ", ".join(values.get("ip_addresses") or [])
    hostnames = hostnames_of(values)
    site_port = values.get("site_port")
    port_text = f"port {site_port}" if site_port else "the site port"
    lines = []
    if issuing:
        resumed = " (taking up the pending request of an earlier run)" if plan.get("resumed") else ""
        lines.append(f"{plan['action'].capitalize()}: {plan['friendly_name']}{resumed}")
    else:
        lines.append(f"Keep: {current.get('friendly_name', '')} ({current.get('sha256_fingerprint', '')})")
    lines.append("Why: " + "; ".join(plan["reasons"]) + ".")
    acme = plan.get("acme") or {}
    if issuing:
        if acme.get("mode") == ACME_APPLIANCE:
            lines.append(f"Key: made and kept by the appliance's ACME client ({acme.get('key_type')})")
        elif plan["new_key"]:
            lines.append(f"Key: new {_key_text(values)} key {plan['key_name']}")
        elif plan.get("resumed") and plan.get("key_made_for_request"):
            lines.append(
                f"Key: the new key {plan['key_name']}, which the earlier run made for its request (instead of "
                "making another)"
            )
        else:
            lines.append(f"Key: reuse {plan['key_name']}")
        days = values.get("days")
        timeout = values.get("acme_wait_timeout")
        signing = {
            PROVIDER_SELF_SIGNED: (
                "Certificate: self-signed by the appliance for "
                + (
                    "its own validity (its web interface has no field for it)"
                    if values.get("transport") == "web"
                    else f"{days} days"
                )
                + f", names {', '.join(values.get('subject_alt_name') or [])}."
            ),
            PROVIDER_LOCAL_CA: (
                f"Certificate: request on the appliance, signed by the local CA {values.get('local_ca_cert')} "
                f"for {days} days, imported with its chain (root {plan.get('new_root') or 'not created yet'})."
            ),
            PROVIDER_MANUAL: (
                f"Certificate: request on the appliance, written to {plan.get('request_file')} for the CA"
                + (" when run without check mode" if check_mode and not plan.get("resumed") else "")
                + f"; imported with its chain from {values.get('manual_drop_dir')} once the signed certificate is "
                "there."
            ),
            ACME_CONTROLLER: (
                f"Certificate: request on the appliance (its key stays there), ordered by the controller from the "
                f"ACME CA {acme.get('directory')} for {', '.join(acme.get('names') or [])} over DNS-01 (TXT records "
                f"set and removed by {acme.get('dns_tasks')}), imported with the chain the CA sends; the CA decides "
                f"the validity ({prefix}days does not apply)."
            ),
            ACME_APPLIANCE: (
                f"Certificate: ordered by the appliance's own ACME client from {acme.get('directory')} for "
                f"{', '.join(acme.get('hostnames') or [])} over HTTP-01, installed and bound by the appliance, "
                f"which renews it by itself; the role waits up to {timeout} s for the order."
            ),
        }
        lines.append(signing[acme.get("mode") or provider])
    if issuing:
        binding_text = "the new certificate replaces what "
    else:
        binding_text = "it is bound again to " if plan.get("rebind") else "it stays on "
    lines.append(
        "Binding: "
        + binding_text
        + ip_text
        + (" serve; " if issuing else "; ")
        + "then each address is checked over TLS on "
        + port_text
        + (f" as {hostnames[0]}" if hostnames else "")
        + "; if what it serves is wrong, the previous bindings are restored and the role fails."
    )
    if issuing:
        previous = ", ".join(f"{b.get('address')} serves {b.get('friendly_name')}" for b in plan["previous_bindings"])
        lines.append(f"Previous: {previous}; they stay bound until the new certificate is imported and verified.")
        if plan["delete"]:
            names = ", ".join(str(cert.get("friendly_name")) for cert in plan["delete"])
            lines.append(
                f"Cleanup: delete {names} (more than {prefix}keep_previous={values.get('keep_previous')} "
                "earlier ones, served nowhere)."
            )
        if _leftover_text(plan):
            lines.append(_leftover_text(plan))
        if plan["software_update"]:
            where = f" to {values['support_bundle_dir']}" if values.get("support_bundle_dir") else ""
            lines.append(
                "Vendor: the appliance software does not trust the new root; a support bundle for the vendor is "
                f"written{where}."
            )
        elif plan["software_update"] is None:
            lines.append(
                "Vendor: whether the appliance software must be rebuilt is known once the signed certificate is "
                "imported."
            )
    if not issuing and _leftover_text(plan):
        lines.append(_leftover_text(plan))
    if acme.get("configure"):
        lines.append(
            f"ACME: {acme['configure']}, so its settings are set again (directory, names, key type, contacts, "
            "addresses)."
        )
    if check_mode:
        lines.append("Check mode: nothing is changed.")
    return [line for line in lines if line]


def _leftover_text(plan: dict) -> str:
    """The cleanup of what interrupted runs left, as a plan line; empty when they left nothing."""
    found = plan.get("leftovers") or {}
    requests = ", ".join(f"'{request['friendly_name']}'" for request in found.get("requests") or [])
    if not requests:
        return ""
    keys = ", ".join(f"'{key['name']}'" for key in found.get("keys") or [])
    return (
        f"Cleanup: delete the pending request(s) {requests}"
        + (f" and the key(s) {keys} only they use" if keys else "")
        + ", left by an earlier run that stopped before its certificate was imported."
    )

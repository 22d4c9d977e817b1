# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_support_bundle: the zip the vendor needs after a CA change, written on the controller.

The bundle holds the certificate with its chain in PEM (exported without the
private key), the appliance's Status > Basics as JSON and as text, a
screenshot of the Status :: Basics page when Chromium is on the controller,
and a manifest that says what each member is, why the vendor needs it, and
its SHA-256. The archive is deterministic, so the same appliance state gives
the same bytes and a second run reports no change: the screenshot of a page
that has not changed is taken from the bundle already at ``dest``, since two
renderings of one page need not be the same bytes.
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import io
import json
import os
import pwd
import stat
import tempfile
import zipfile

from ...procedure_rules import root_fingerprint, software_update_of
from ..client import ApplianceError
from ..files import special_file_kind
from ..resources import certificate_for_diff, describe_choices, find_certificate
from ..runner import ModuleSpec
from ..screenshot import ScreenshotUnavailable, find_chromium, render_png
from ..transport import connect, transport_of

try:
    from ...pki import chain_facts as pki_chain_facts
    from ...pki import formats as pki_formats
    from ...pki import hostnames as pki_hostnames
    from ...pki.errors import PKIError, with_article
    from ...pki.keyguard import ensure_no_private_key
except ImportError:  # reported through deps.require_cryptography()
    pki_chain_facts = pki_formats = pki_hostnames = ensure_no_private_key = None
    PKIError = ()
    with_article = None

CERTIFICATE_MEMBER = "certificate.pem"
STATUS_JSON_MEMBER = "status-basics.json"
STATUS_TEXT_MEMBER = "status-basics.txt"
SCREENSHOT_MEMBER = "status-basics.png"
MANIFEST_MEMBER = "manifest.json"
MANIFEST_FORMAT_VERSION = 1
BUNDLE_MODE = 0o644
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_CREATE_SYSTEM_UNIX = 3
CERTIFICATE_SUMMARY_FIELDS = ("id", "role", "self_signed", "chain", "chain_warnings", "missing_issuer")

ARGUMENT_SPEC = {
    "certificate": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "incident": {"type": "str"},
    "include_chain": {"type": "bool", "default": True},
    "allow_incomplete_chain": {"type": "bool", "default": False},
    "screenshot": {"type": "bool", "default": True},
    "chromium_path": {"type": "path"},
}

MEMBER_PURPOSES = {
    CERTIFICATE_MEMBER: (
        "The site certificate with its certificate chain (leaf first, root last), PEM, exported without the "
        "private key.",
        "The appliance software embeds the root certificate of the CA that secures the site hostname; the vendor "
        "builds the new software from this chain.",
    ),
    STATUS_JSON_MEMBER: (
        "Status > Basics of the appliance, as its API reports it (JSON).",
        "Identifies the appliance the software is built for: hostname, appliance id, role, software version and "
        "the root CAs the current software trusts.",
    ),
    STATUS_TEXT_MEMBER: (
        "The same Status > Basics capture, as text.",
        "For the person handling the request at the vendor.",
    ),
    SCREENSHOT_MEMBER: (
        "A screenshot of the appliance's Status :: Basics page (/appliance), as its web interface shows it.",
        "The screenshot of Status > Basics the vendor asks for with a software update request.",
    ),
}


# --- checks on the input and on what the appliance returned -------------------------------------------------


def check_dest(dest: str) -> str:
    """The absolute destination path; an error message names the problem when it cannot be written there.

    Only a regular file is read, compared and replaced: a directory, a named pipe (reading it would block
    until something writes to it), a device or a socket at ``dest`` is refused.
    """
    path = os.path.abspath(dest)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise BundleRefused(
            f"dest '{dest}' cannot be examined: {exc.strerror or exc}. Choose a dest in a directory you can read "
            "and write; nothing was written."
        ) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise BundleRefused(
            f"dest '{dest}' is a directory. Give the path of the zip file to write, e.g. '{dest.rstrip('/')}/"
            "support-bundle.zip'."
        )
    kind = special_file_kind(path)
    if kind:
        raise BundleRefused(
            f"dest '{dest}' is {kind}, not a regular file; the bundle is only written as a regular file. Give "
            "the path of the zip file to write (a new file, or a bundle written before); nothing was written."
        )
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise BundleRefused(
            f"The directory of dest '{dest}' does not exist ({parent}). Create it first "
            "(ansible.builtin.file with state: directory), or choose another dest."
        )
    return path


def check_incident(incident: str | None) -> str | None:
    """The incident number, trimmed; refused when it is blank or spans several lines."""
    if incident is None:
        return None
    text = str(incident).strip()
    if not text or any(ord(ch) < 32 for ch in text):
        raise BundleRefused(
            f"incident {incident!r} is not an incident number. Give the number of the open incident as one line "
            "(e.g. '01234567'), or leave incident out when none is open."
        )
    return text


def check_chain_complete(certificate: dict, allow_incomplete_chain: bool) -> str | None:
    """Refuse an incomplete chain unless allowed; returns the warning to give when it is allowed, else None."""
    if certificate.get("chain_status") in ("complete", "self_signed"):
        return None
    name = certificate.get("friendly_name")
    missing = certificate.get("missing_issuer")
    urls = certificate.get("ca_issuers_urls") or []
    where = f" The issuer that is missing is '{missing}'." if missing else ""
    aia = f" Its Authority Information Access points to {', '.join(urls)}." if urls else ""
    if allow_incomplete_chain:
        return (
            f"The chain of certificate '{name}' is incomplete;{where} the bundle is written anyway because "
            "allow_incomplete_chain is true, but the vendor needs the complete chain to build new software."
        )
    raise BundleRefused(
        f"The chain of certificate '{name}' on the appliance is incomplete: the vendor needs the certificate with "
        f"its complete chain up to the root.{where}{aia} Import the intermediate and root certificates the CA sent "
        "(bomgar.pki.appliance_cert_import), then run this again; or set allow_incomplete_chain: true to send "
        "it as it is.",
        certificate=certificate_summary(certificate),
    )


def check_export(export: dict, certificate: dict, include_chain: bool) -> bytes:
    """The exported PEM as bytes, after checking it holds this certificate (and its chain) and no key."""
    content = export.get("content")
    if export.get("includes_private_key") or not isinstance(content, str):
        raise BundleRefused(
            f"The appliance's export of certificate '{certificate.get('friendly_name')}' is not a PEM file without "
            "a private key; nothing was written. Check the appliance's export (format pem, include_private_key "
            "false)."
        )
    data = content.encode("ascii")
    items = pki_formats.load_bytes(data, source=CERTIFICATE_MEMBER)
    if any(item.kind != "certificate" for item in items):
        ensure_no_private_key(data, CERTIFICATE_MEMBER)
    exported = [item.fingerprint for item in items]
    expected = [certificate.get("sha256_fingerprint")]
    if include_chain:
        expected = list(certificate.get("chain") or expected)
    if exported != expected:
        raise BundleRefused(
            f"The appliance exported certificates {exported} for certificate '{certificate.get('friendly_name')}', "
            f"but its chain is {expected}; nothing was written. Run the task again; if this persists, compare the "
            "appliance's Certificates page with its API."
        )
    root = root_fingerprint(certificate)
    if include_chain and root is not None and not pki_chain_facts.is_self_signed(items[-1].obj):
        raise BundleRefused(
            f"The last certificate exported for '{certificate.get('friendly_name')}' is not a self-signed root; "
            "nothing was written. Import the root certificate of the CA, then run this again."
        )
    return data


def check_members_clean(members: dict, secrets=()) -> None:
    """Raise when any member holds a private key (the key guard's message) or one of ``secrets``."""
    for name in sorted(members):
        ensure_no_private_key(members[name], name)
        for secret in secrets:
            if secret and secret.encode("utf-8") in members[name]:
                raise BundleRefused(
                    f"Member '{name}' of the bundle contains the API token; nothing was written. "
                    "Report this as a bug of bomgar.pki."
                )


def check_bundle_up_to_date(path: str, data: bytes) -> tuple[bool, bool]:
    """``(content_same, mode_same)`` of the file at ``path`` compared with the bytes that would be written."""
    try:
        with open(path, "rb") as handle:
            existing = handle.read(len(data) + 1)
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return False, False
    except OSError as exc:
        raise BundleRefused(f"dest '{path}' cannot be read: {exc.strerror or exc}. Check its permissions.") from None
    return existing == data, mode == BUNDLE_MODE


# --- the members ---------------------------------------------------------------------------------------------


def stable_json(value) -> bytes:
    """``value`` as stable JSON (sorted keys, two-space indent, final newline)."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _listed(values) -> str:
    return ", ".join(str(value) for value in values) if values else "(none)"


def status_basics_text(basics: dict) -> bytes:
    """Status > Basics as text, the way the /appliance page lays it out."""
    rows = [
        ("Hostname", basics.get("hostname")),
        ("Site hostname", basics.get("site_hostname")),
        ("Role", basics.get("role")),
        ("Software version", basics.get("software_version")),
        ("Appliance ID", basics.get("appliance_id")),
        ("API version", basics.get("api_version")),
        ("IP addresses", _listed(basics.get("ip_addresses"))),
        ("Traffic nodes", _listed(basics.get("traffic_nodes"))),
    ]
    width = max(len(label) for label, _value in rows) + 2
    lines = ["Status > Basics", "=" * len("Status > Basics"), ""]
    lines += [f"{label + ':':<{width}}{'' if value is None else value}" for label, value in rows]
    lines += ["", "Root CAs trusted by the current software build (SHA-256):"]
    lines += [f"  {fingerprint}" for fingerprint in basics.get("trusted_root_fingerprints") or []] or ["  (none)"]
    known = {"hostname", "site_hostname", "role", "software_version", "appliance_id", "api_version"}
    known |= {"ip_addresses", "traffic_nodes", "trusted_root_fingerprints"}
    extra = sorted(name for name in basics if name not in known)
    if extra:
        lines += ["", "Other fields:"]
        lines += [f"  {name}: {json.dumps(basics[name], sort_keys=True)}" for name in extra]
    return ("\n".join(lines) + "\n").encode("utf-8")


def member_entry(name: str, data: bytes) -> dict:
    """``{name, sha256, size}`` of one member."""
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def build_manifest(
    members: dict,
    basics: dict,
    certificate: dict,
    incident: str | None,
    software_update_required: bool,
    root: str | None,
    include_chain: bool,
    screenshot_source: str | None = None,
) -> bytes:
    """The manifest: what the bundle is for, each member with its SHA-256 and why the vendor needs it."""
    if software_update_required:
        request = (
            "Build new appliance software that trusts the root CA of this certificate: the CA that secures the "
            "site hostname has changed, and the current software build does not trust its root."
        )
    else:
        request = (
            "No new software build should be needed: the current build already trusts the root CA of this "
            "certificate. Sent for the record."
        )
    manifest = {
        "bundle": "bomgar.pki appliance support bundle",
        "format_version": MANIFEST_FORMAT_VERSION,
        "procedure": "Create an SSL Certificate, 'After a CA change: software update'",
        "request": request,
        "incident": incident,
        "appliance": {
            name: basics.get(name) for name in ("hostname", "site_hostname", "appliance_id", "role", "software_version")
        },
        "certificate": {
            "friendly_name": certificate.get("friendly_name"),
            "sha256_fingerprint": certificate.get("sha256_fingerprint"),
            "subject": certificate.get("subject"),
            "issuer": certificate.get("issuer"),
            "subject_alt_name": certificate.get("subject_alt_name"),
            "not_before": certificate.get("not_before"),
            "not_after": certificate.get("not_after"),
            "chain_status": certificate.get("chain_status"),
            "chain": certificate.get("chain") if include_chain else [certificate.get("sha256_fingerprint")],
            "root_sha256_fingerprint": root,
        },
        "software_update_required": software_update_required,
        "private_key_included": False,
        "status_basics_page_sha256": screenshot_source,
        "members": [
            {**member_entry(name, members[name]), "what": MEMBER_PURPOSES[name][0], "why": MEMBER_PURPOSES[name][1]}
            for name in sorted(members)
        ],
        "incident_note": (
            "The incident number of the open support case, so the vendor files the build under it."
            if incident
            else "No incident was open when the bundle was made."
        ),
        "not_included": (
            "The private key and its passphrase: they stay in a secure, documented place on the operator's network."
        ),
    }
    return stable_json(manifest)


def deterministic_zip(members: dict) -> bytes:
    """A zip of ``members`` (name -> bytes) that depends on nothing else: sorted, stored, fixed time and mode."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = ZIP_CREATE_SYSTEM_UNIX
            info.external_attr = (0o100000 | BUNDLE_MODE) << 16
            info.extra = b""
            archive.writestr(info, members[name])
    return buffer.getvalue()


def read_bundle_members(path: str) -> list | None:
    """``[{name, sha256, size}]`` of an existing zip, or None when there is none or it is no zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [member_entry(info.filename, archive.read(info)) for info in archive.infolist()]
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError):
        return None


def dest_file_attributes(path: str) -> dict:
    """What Ansible adds to a module result that names a ``dest`` that exists: owner, group, mode, state, size.

    Returned by the logic itself so that the action plugin gives the same keys as the module file.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return {}
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    if stat.S_ISLNK(info.st_mode):
        state = "link"
    elif stat.S_ISDIR(info.st_mode):
        state = "directory"
    elif os.stat(path).st_nlink > 1:
        state = "hard"
    else:
        state = "file"
    return {
        "uid": info.st_uid,
        "gid": info.st_gid,
        "owner": owner,
        "group": group,
        "mode": f"0{stat.S_IMODE(info.st_mode):03o}",
        "state": state,
        "size": info.st_size,
    }


def write_atomically(path: str, data: bytes, mode: int = BUNDLE_MODE) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    A failure to write (no permission, a full or read-only file system, a directory that is not a real one)
    is refused with the reason, and leaves nothing behind.
    """
    directory, base = os.path.split(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _write_refused(path, exc) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly(temporary)
        raise _write_refused(path, exc) from None
    except BaseException:
        _remove_quietly(temporary)
        raise


def set_bundle_mode(path: str) -> None:
    """Give the bundle at ``path`` its mode; a failure is refused with the reason."""
    try:
        os.chmod(path, BUNDLE_MODE)
    except OSError as exc:
        raise _write_refused(path, exc) from None


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _write_refused(path: str, exc: OSError) -> Exception:
    return BundleRefused(
        f"The support bundle cannot be written to dest '{path}': {exc.strerror or exc}. Choose a dest in a "
        "directory you can write to, on a file system with space; nothing was written there."
    )


# --- the module ----------------------------------------------------------------------------------------------


class BundleRefused(Exception):
    """A reason not to write the bundle; becomes the module's failure message."""

    def __init__(self, msg: str, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


def certificate_summary(certificate: dict | None) -> dict:
    """The certificate as the module returns it: names, fingerprints, dates, chain; no key material."""
    if not certificate:
        return {}
    summary = certificate_for_diff(certificate)
    summary.update({name: certificate.get(name) for name in CERTIFICATE_SUMMARY_FIELDS if name in certificate})
    return summary


def _find(ctx, client, ref: str) -> dict:
    certificates = client.get("certificates") or []
    found = find_certificate(certificates, ref)
    if found is None:
        servers = [cert for cert in certificates if cert.get("role") == "server"] or certificates
        ctx.fail(
            f"No certificate '{ref}' on the appliance. Give its friendly name or SHA-256 fingerprint; "
            f"server certificates there: {describe_choices(servers)}."
        )
    return found


def _warnings(ctx, certificate: dict, basics: dict, include_chain: bool, root: str | None) -> None:
    name = certificate.get("friendly_name")
    if certificate.get("role") not in (None, "server"):
        ctx.warn(
            f"Certificate '{name}' is {with_article(str(certificate.get('role')))} CA certificate, not the site's "
            "server certificate; the vendor needs the certificate that secures the site hostname."
        )
    site = basics.get("site_hostname")
    if site and certificate.get("role") == "server" and not _covers_site(ctx, certificate, site):
        ctx.warn(
            f"Certificate '{name}' does not cover the site hostname '{site}'; the vendor builds the software for "
            "the CA of the certificate that secures the site hostname."
        )
    if not include_chain and certificate.get("chain_status") == "complete":
        ctx.warn(
            f"include_chain is false: the bundle holds certificate '{name}' without its chain, but the vendor needs "
            "the complete chain to build new software."
        )
    if root is None:
        ctx.warn(
            f"The root CA of certificate '{name}' is not known (its chain is incomplete), so "
            "software_update_required is reported as true."
        )


def _covers_site(ctx, certificate: dict, site: str) -> bool:
    """Whether the certificate covers the site hostname the appliance reports; a name that is none is said."""
    try:
        return pki_hostnames.hostname_covered(site, pki_hostnames.certificate_sans(certificate.get("subject_alt_name")))
    except PKIError:
        ctx.warn(f"The appliance reports site hostname '{site}', which is not a DNS name; check Status > Basics.")
        return False


def run(ctx) -> dict:
    """Build the bundle from the appliance's state and write it when it differs from what is at ``dest``."""
    params = ctx.params
    try:
        return _run(ctx, params)
    except BundleRefused as exc:
        ctx.fail(exc.msg, **exc.extra)
    return {}  # not reached: ctx.fail raises


def _run(ctx, params) -> dict:
    from ...pki.deps import require_cryptography

    require_cryptography()
    dest = check_dest(params["dest"])
    incident = check_incident(params.get("incident"))
    include_chain = params["include_chain"]
    client = ctx.client()
    certificate = _find(ctx, client, params["certificate"])
    incomplete = check_chain_complete(certificate, params["allow_incomplete_chain"])
    if incomplete:
        ctx.warn(incomplete)
    basics = client.get("status/basics") or {}
    screenshot, screenshot_source = status_screenshot(ctx, params, client, dest)
    export = client.post(
        f"certificates/{certificate['id']}/export",
        {"format": "pem", "include_chain": include_chain, "include_private_key": False},
    )
    members = {CERTIFICATE_MEMBER: check_export(export or {}, certificate, include_chain)}
    members[STATUS_JSON_MEMBER] = stable_json(basics)
    members[STATUS_TEXT_MEMBER] = status_basics_text(basics)
    if screenshot is not None:
        members[SCREENSHOT_MEMBER] = screenshot
    trust = software_update_of(certificate, basics)
    root, update_required = trust["root_fingerprint"], trust["software_update_required"]
    _warnings(ctx, certificate, basics, include_chain, root)
    manifest = build_manifest(
        members, basics, certificate, incident, update_required, root, include_chain, screenshot_source
    )
    members[MANIFEST_MEMBER] = manifest
    check_members_clean(members, secrets=(params.get("api_token"), params.get("password")))
    data = deterministic_zip(members)

    content_same, mode_same = check_bundle_up_to_date(dest, data)
    changed = not (content_same and mode_same)
    before = existing_bundle_state(dest)
    if changed and not ctx.check_mode:
        if content_same:
            set_bundle_mode(dest)
        else:
            write_atomically(dest, data)
    entries = [member_entry(name, members[name]) for name in sorted(members)]
    after = {"dest": dest, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "members": entries}
    return {
        **dest_file_attributes(dest),
        "changed": changed,
        "dest": dest,
        "sha256": after["sha256"],
        "members": entries,
        "certificate": certificate_summary(certificate),
        "chain_status": certificate.get("chain_status"),
        "root_fingerprint": root,
        "software_update_required": update_required,
        "diff": {"before": before, "after": after},
    }


# --- the screenshot of Status :: Basics ----------------------------------------------------------------------


def status_screenshot(ctx, params: dict, client, dest: str) -> tuple:
    """``(png, page_sha256)`` of the Status :: Basics page, or ``(None, None)`` with a warning that says why.

    The page is read over the web interface: the task's own client with ``transport: web``, else a web client
    made from ``username`` and ``password``. The PNG of a page that is the same as the one the bundle at
    ``dest`` was made from is taken from that bundle.
    """
    if not params.get("screenshot", True):
        return None, None
    without = f"the bundle is written without {SCREENSHOT_MEMBER}."
    chromium = find_chromium(params.get("chromium_path"))
    if chromium is None:
        where = (
            f"chromium_path '{params['chromium_path']}' is not an executable file"
            if params.get("chromium_path")
            else "no Chromium was found on PATH (chromium, chromium-browser, google-chrome)"
        )
        ctx.warn(
            f"No screenshot of Status :: Basics: {where}; {without} Install Chromium on the controller (Debian: "
            "apt-get install chromium) or give its path in chromium_path, or set screenshot: false."
        )
        return None, None
    web = client
    if transport_of(params) != "web":
        if not params.get("username") or not params.get("password"):
            ctx.warn(
                "No screenshot of Status :: Basics: it is taken from the appliance's /appliance web interface, "
                f"which needs username and password (bomgar_username / bomgar_password); {without} Give them, "
                "use transport: web, or set screenshot: false."
            )
            return None, None
        web = connect({**params, "transport": "web"})
    try:
        html = web.status_page_html()
    except ApplianceError as exc:
        ctx.warn(f"No screenshot of Status :: Basics: {exc.message} So {without}")
        return None, None
    finally:
        if web is not client:
            web.close()
    secrets = [value for value in (params.get("password"), params.get("api_token")) if value]
    if any(secret in html for secret in secrets):
        raise BundleRefused(
            "The Status :: Basics page holds the password or the API token; no screenshot was taken and nothing "
            "was written. Report this as a bug of bomgar.pki."
        )
    source = hashlib.sha256(html.encode("utf-8")).hexdigest()
    kept = _kept_screenshot(dest, source)
    if kept is not None:
        return kept, source
    try:
        return render_png(html, chromium), source
    except ScreenshotUnavailable as exc:
        ctx.warn(f"No screenshot of Status :: Basics: {exc} So {without}")
        return None, None


def _kept_screenshot(dest: str, source: str) -> bytes | None:
    """The PNG of the bundle at ``dest`` when its manifest says it shows the page whose SHA-256 is ``source``."""
    try:
        with zipfile.ZipFile(dest) as archive:
            manifest = json.loads(archive.read(MANIFEST_MEMBER))
            if manifest.get("status_basics_page_sha256") != source:
                return None
            data = archive.read(SCREENSHOT_MEMBER)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, RuntimeError):
        return None
    listed = {entry.get("name"): entry.get("sha256") for entry in manifest.get("members") or []}
    if listed.get(SCREENSHOT_MEMBER) != hashlib.sha256(data).hexdigest() or not data.startswith(b"\x89PNG"):
        return None
    return data


def existing_bundle_state(dest: str) -> dict:
    """What is at ``dest`` now, for the diff: ``{}`` when nothing is, else its SHA-256, size and members."""
    try:
        with open(dest, "rb") as handle:
            data = handle.read()
    except OSError:
        return {}
    state = {"dest": dest, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    members = read_bundle_members(dest)
    if members is not None:
        state["members"] = members
    return state


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_certificate_export: a certificate of the appliance as PEM with its chain, or as a PKCS#12; read-only.

The private key only leaves the appliance inside a PKCS#12 protected by the
passphrase given. Everything that would make the export useless or unsafe is
refused before the appliance is asked to export: a private key with PEM, a
missing or short passphrase, a key that is not on the appliance, the key of a
CA certificate, and a certificate that does not cover the hostnames it must
serve. What the appliance exported is checked before it is returned: the
certificates it holds (leaf first), and for a PKCS#12 that the passphrase opens
it and its key belongs to the certificate. Exporting changes nothing.
"""

from __future__ import annotations

import base64
import binascii

from ..resources import describe_choices, find_certificate
from ..runner import ModuleSpec

try:
    from ...pki import formats as pki_formats
    from ...pki.hostnames import uncovered_hostnames
    from ...pki.keyguard import ensure_no_private_key
    from ...pki.keys import key_matches_certificate
except ImportError:  # reported through deps.require_cryptography()
    pki_formats = ensure_no_private_key = key_matches_certificate = uncovered_hostnames = None

FORMATS = ("pem", "pkcs12")
MIN_PASSPHRASE_LENGTH = 4

ARGUMENT_SPEC = {
    "certificate": {"type": "str", "required": True},
    "format": {"type": "str", "choices": list(FORMATS), "default": "pem"},
    "include_chain": {"type": "bool", "default": True},
    "include_private_key": {"type": "bool", "default": False},
    "passphrase": {"type": "str", "no_log": True},
    "hostnames": {"type": "list", "elements": "str"},
}


class ExportRefused(Exception):
    """A reason not to export, or not to return what was exported; becomes the module's failure message."""

    def __init__(self, msg: str, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


# --- checks without a server ------------------------------------------------------------------------------------


def request_problems(export_format: str, include_private_key: bool, passphrase: str | None) -> list:
    """What is wrong with the options themselves, before the appliance is asked; never shows the passphrase."""
    problems = []
    if include_private_key and export_format == "pem":
        problems.append(
            "include_private_key needs format pkcs12: the private key only leaves the appliance inside a "
            "passphrase-protected PKCS#12, never as PEM. Set format: pkcs12 and a passphrase, or leave "
            "include_private_key false."
        )
    if export_format == "pkcs12":
        if not passphrase:
            problems.append(
                "A PKCS#12 export is always protected by a passphrase, and passphrase is not set. Give a passphrase "
                f"of at least {MIN_PASSPHRASE_LENGTH} characters, and keep it apart from the file."
            )
        elif len(passphrase) < MIN_PASSPHRASE_LENGTH:
            problems.append(
                f"passphrase has {len(passphrase)} character(s); a PKCS#12 passphrase needs at least "
                f"{MIN_PASSPHRASE_LENGTH}. Give a longer passphrase."
            )
        elif "\x00" in passphrase:
            problems.append(
                "passphrase contains a NUL character, which no PKCS#12 file can use. Give it without that character."
            )
    return problems


def label_of(certificate: dict) -> str:
    """``'name' (fingerprint)`` for messages."""
    return f"'{certificate.get('friendly_name')}' ({certificate.get('sha256_fingerprint')})"


def certificate_problems(certificate: dict, include_private_key: bool, hostnames: list | None) -> list:
    """Why this certificate cannot be exported as asked: names it does not cover, a CA's key, a key not there."""
    label = label_of(certificate)
    problems = []
    if hostnames:
        sans = list(certificate.get("subject_alt_name") or [])
        uncovered = uncovered_hostnames(hostnames, sans)
        if uncovered:
            problems.append(
                f"Certificate {label} does not cover {', '.join(uncovered)}: its subject alternative names are "
                f"{', '.join(sans) or 'none'} (a wildcard covers exactly one label). Export a certificate whose names "
                "cover them, or issue this one again with those names."
            )
    if include_private_key:
        role = certificate.get("role")
        if certificate.get("is_ca") or role in ("root", "intermediate"):
            problems.append(
                f"Certificate {label} is a{'n' if role == 'intermediate' else ''} {role or 'CA'} CA certificate: the "
                "private key of a CA is never exported. Export it without include_private_key, or name the server "
                "certificate to export with its key."
            )
        elif not certificate.get("private_key_available"):
            problems.append(
                f"The private key of certificate {label} is not on the appliance, so it cannot be exported with it. "
                "Import the certificate with its key first (bomgar.pki.appliance_cert_import with the key file or a "
                "PKCS#12), or export it without include_private_key."
            )
    return problems


def expected_certificates(certificate: dict, include_chain: bool) -> list:
    """The fingerprints the export must hold, leaf first: the certificate, and its chain when asked for."""
    leaf = certificate.get("sha256_fingerprint")
    chain = list(certificate.get("chain") or [])
    if include_chain and chain and chain[0] == leaf:
        return chain
    return [leaf]


def check_answer(answer, certificate: dict, export_format: str, include_private_key: bool, include_chain: bool):
    """The export the appliance returned, checked against what was asked: ``(fingerprints, content)``."""
    name = label_of(certificate)
    if not isinstance(answer, dict):
        raise ExportRefused(f"The appliance answered the export of certificate {name} with no export object.")
    exported = list(answer.get("certificates") or [])
    expected = expected_certificates(certificate, include_chain)
    if exported != expected:
        raise ExportRefused(
            f"The appliance exported certificates [{', '.join(exported)}] for certificate {name}, but "
            f"[{', '.join(expected)}] were asked for; nothing is returned. Run the task again; if this persists, "
            "compare the appliance's Certificates page with its API."
        )
    if bool(answer.get("includes_private_key")) != bool(include_private_key):
        raise ExportRefused(
            f"The appliance's export of certificate {name} "
            f"{'holds' if answer.get('includes_private_key') else 'lacks'} the private key, which was "
            f"{'' if include_private_key else 'not '}asked for; nothing is returned."
        )
    field = "content" if export_format == "pem" else "content_base64"
    content = answer.get(field)
    if answer.get("format") != export_format or not isinstance(content, str) or not content:
        raise ExportRefused(
            f"The appliance's export of certificate {name} is not the {export_format} file asked for; nothing is "
            "returned."
        )
    return exported, content


def check_pem(content: str, exported: list) -> None:
    """The PEM holds exactly the certificates exported, in that order, and no private key."""
    data = content.encode("ascii", "replace")
    ensure_no_private_key(data, "the PEM export")
    found = [item.fingerprint for item in pki_formats.load_bytes(data, source="the PEM export")]
    if found != exported:
        raise ExportRefused(
            f"The PEM export holds certificates [{', '.join(found)}], not [{', '.join(exported)}]; nothing is returned."
        )


def check_pkcs12(content_base64: str, passphrase: str, exported: list, include_private_key: bool) -> None:
    """The passphrase opens the PKCS#12; it holds the certificates exported (leaf first) and the leaf's key."""
    try:
        blob = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ExportRefused("The appliance's PKCS#12 export is not valid base64; nothing is returned.") from None
    items = pki_formats.load_bytes(blob, passphrase=passphrase, source="the PKCS#12 export")
    certificates = [item for item in items if item.kind == pki_formats.KIND_CERTIFICATE]
    keys = [item.obj for item in items if item.kind == pki_formats.KIND_PRIVATE_KEY]
    found = [item.fingerprint for item in certificates]
    # Without a key, a PKCS#12 need not say which certificate is the leaf: then only the set is compared.
    if sorted(found) != sorted(exported) or (include_private_key and found[0] != exported[0]):
        raise ExportRefused(
            f"The PKCS#12 export holds certificates [{', '.join(found)}], not [{', '.join(exported)}]; nothing is "
            "returned."
        )
    if include_private_key and (len(keys) != 1 or not key_matches_certificate(keys[0], certificates[0].obj)):
        raise ExportRefused(
            "The PKCS#12 export does not hold the private key of its certificate; nothing is returned. Run the task "
            "again; if this persists, check the key of the certificate on the appliance."
        )
    if not include_private_key and keys:
        raise ExportRefused("The PKCS#12 export holds a private key that was not asked for; nothing is returned.")


# --- the module ------------------------------------------------------------------------------------------------


def run(ctx) -> dict:
    """Check the options, find the certificate, check it, export it, check the export; never changes anything."""
    try:
        return _run(ctx, ctx.params)
    except ExportRefused as exc:
        ctx.fail(exc.msg, **exc.extra)
    return {}  # not reached: ctx.fail raises


def _run(ctx, params) -> dict:
    from ...pki.deps import require_cryptography

    require_cryptography()
    export_format = params["format"]
    include_key = params["include_private_key"]
    passphrase = params.get("passphrase")
    problems = request_problems(export_format, include_key, passphrase)
    if problems:
        raise ExportRefused(" ".join(problems) + " Nothing was exported.")
    if export_format == "pem" and passphrase:
        ctx.warn("passphrase is not used with format pem: a PEM export holds no private key and is not protected.")

    client = ctx.client()
    certificates = list(client.get("certificates") or [])
    certificate = find_certificate(certificates, params["certificate"])
    if certificate is None:
        raise ExportRefused(
            f"No certificate '{params['certificate']}' on the appliance (by friendly name, SHA-256 fingerprint or "
            f"id). Certificates there: {describe_choices(certificates)}. Name one of them in certificate."
        )
    problems = certificate_problems(certificate, include_key, params.get("hostnames"))
    if problems:
        raise ExportRefused(" ".join(problems) + " Nothing was exported.", certificate=certificate)

    body = {"format": export_format, "include_chain": params["include_chain"], "include_private_key": include_key}
    if export_format == "pkcs12":
        body["passphrase"] = passphrase
    answer = client.post(f"certificates/{certificate['id']}/export", body)
    exported, content = check_answer(answer, certificate, export_format, include_key, params["include_chain"])
    result = {
        "changed": False,
        "certificate": certificate,
        "certificates": exported,
        "format": export_format,
        "filename": answer.get("filename"),
        "includes_private_key": bool(answer.get("includes_private_key")),
    }
    if export_format == "pem":
        check_pem(content, exported)
        result["content"] = content
    else:
        check_pkcs12(content, passphrase, exported, include_key)
        result["pkcs12"] = content
    return result


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, secret_results=("pkcs12",))

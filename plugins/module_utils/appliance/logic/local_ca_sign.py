# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""local_ca_sign: sign a certificate request with a CA kept in files on the controller.

The CA is an issuing certificate and its key (optionally encrypted), with the
chain above it (by default ``root.pem`` beside the certificate). Everything is
checked before anything is signed or written: the key belongs to the
certificate, the CA is a CA and valid now, its chain reaches a self-signed
root, and the request's signature verifies. ``create`` makes a root and an
issuing CA for demos and tests; the root's key is used once and not kept.
No appliance is contacted.
"""

from __future__ import annotations

import datetime
import os
import tempfile

from ...pki.errors import KeyMismatch, PassphraseError, PKIError, SpecError, UnsupportedKey
from ..runner import ModuleSpec

try:
    from cryptography.hazmat.primitives import serialization

    from ...pki import builder, chain_facts, formats
    from ...pki.describe import describe_certificate
    from ...pki.fingerprints import certificate_fingerprint
    from ...pki.hostnames import other_alternative_names, sans_from_certificate
    from ...pki.keys import (
        MIN_PASSPHRASE_LENGTH,
        KeySpec,
        appliance_key_problem,
        ensure_key_matches,
        export_pkcs8_pem,
        generate_private_key,
    )
    from ...pki.name_rules import validate_request
    from ...pki.subject_fields import SubjectSpec, checked_fields, subject_from_name
except ImportError:  # reported through deps.require_cryptography()
    serialization = builder = chain = formats = describe_certificate = certificate_fingerprint = None
    KeySpec = ensure_key_matches = export_pkcs8_pem = generate_private_key = appliance_key_problem = None
    SubjectSpec = sans_from_certificate = subject_from_name = validate_request = checked_fields = None
    other_alternative_names = None
    MIN_PASSPHRASE_LENGTH = 4

DEFAULT_DAYS = 397
DEFAULT_CA_COMMON_NAME = "bomgar.pki Local CA"
ROOT_FILE_NAME = "root.pem"
ROOT_DAYS = 3650
ISSUING_DAYS = 1825
CA_KEY_SIZE = 2048
MAX_DAYS = 3650
# Longest chain followed above the issuing CA before it counts as a loop.
MAX_CHAIN_LENGTH = 8
# A directory made for the CA holds its private key: only its owner may enter it.
DIRECTORY_MODE = 0o700

ARGUMENT_SPEC = {
    "ca_cert": {"type": "path", "required": True},
    "ca_key": {"type": "path", "required": True},
    "ca_key_passphrase": {"type": "str", "no_log": True},
    "create": {"type": "bool", "default": False},
    "ca_common_name": {"type": "str", "default": DEFAULT_CA_COMMON_NAME},
    "csr": {"type": "str"},
    "days": {"type": "int", "default": DEFAULT_DAYS},
    "chain": {"type": "list", "elements": "path"},
}


# --- checks without files -------------------------------------------------------


def check_days(days) -> None:
    """Raise a PKIError when the validity is outside 1..MAX_DAYS."""
    if not 1 <= int(days) <= MAX_DAYS:
        raise PKIError(
            f"days is {days}, outside 1..{MAX_DAYS}.",
            hint="Choose a validity your clients accept; public CAs issue at most 398 days (the default is 397).",
        )


def check_ca_usable(ca_cert, now: datetime.datetime, where: str) -> None:
    """Refuse a certificate that is not a CA, not yet valid or expired, naming the fix."""
    subject = ca_cert.subject.rfc4514_string()
    if not chain_facts.is_ca(ca_cert):
        raise PKIError(
            f"The certificate in {where} ('{subject}') is not a CA (basicConstraints CA:TRUE is missing).",
            hint="Point ca_cert at the issuing CA's certificate, not at a server certificate.",
        )
    if ca_cert.not_valid_after_utc <= now:
        raise PKIError(
            f"The CA certificate in {where} ('{subject}') expired on {ca_cert.not_valid_after_utc.isoformat()}.",
            hint="Renew the CA (or create a new one at another path with create: true) and distribute its root.",
        )
    if ca_cert.not_valid_before_utc > now:
        raise PKIError(
            f"The CA certificate in {where} ('{subject}') is not valid before "
            f"{ca_cert.not_valid_before_utc.isoformat()}.",
            hint="Check the controller's clock, or wait until the CA becomes valid.",
        )


def select_ca(certificates: list, key, cert_path: str, key_path: str):
    """The certificate of ``certificates`` that ``key`` belongs to; KeyMismatch naming both files otherwise."""
    for cert in certificates:
        try:
            ensure_key_matches(key, cert, "CA certificate")
        except KeyMismatch:
            continue
        return cert
    try:
        ensure_key_matches(key, certificates[0], "CA certificate")
    except KeyMismatch as exc:
        raise KeyMismatch(
            f"ca_key {key_path} does not belong to ca_cert {cert_path}: {exc.message}",
            hint="Give the key the CA certificate was made with (or the certificate made for this key).",
        ) from None
    return certificates[0]


def build_chain(ca_cert, candidates: list) -> list:
    """``[ca_cert, its issuer, ..., root]`` from ``candidates``; PKIError when no self-signed root is reached."""
    path = [ca_cert]
    while not chain_facts.is_self_signed(path[-1]):
        issuer = next((cert for cert in candidates if cert not in path and chain_facts.issued_by(path[-1], cert)), None)
        if issuer is None or len(path) > MAX_CHAIN_LENGTH:
            top = path[-1]
            raise PKIError(
                f"The chain of the CA stops at '{top.subject.rfc4514_string()}': the certificate of its issuer "
                f"'{top.issuer.rfc4514_string()}' is not among the chain files.",
                hint=f"Add the issuer's certificate (up to the root) to chain, or put the root beside ca_cert as "
                f"{ROOT_FILE_NAME}.",
            )
        path.append(issuer)
    return path


def check_request(csr) -> list:
    """Refuse a request that is not to be signed; return the warnings of the naming rules.

    Refused: a signature that does not verify; a key the appliance does not hold (it would refuse the
    certificate's key, docs/procedure.md, rule R1.3); alternative names other than DNS: and IP: (rule
    R1.10); names breaking the naming rules; and no DNS or IP alternative name at all, since such a
    certificate covers no hostname and is never bound to an address.
    """
    if not csr.is_signature_valid:
        raise PKIError(
            "The certificate request's signature does not verify: the request is corrupt or was altered.",
            hint="Create the request again (appliance_csr) and pass its PEM unchanged as csr.",
        )
    problem = appliance_key_problem(csr.public_key())
    if problem:
        raise UnsupportedKey(
            f"The certificate request is not signed: {problem}.",
            hint="Make the request again with a key the appliance holds (appliance_csr with key_type rsa and "
            "key_size 2048, 3072 or 4096, or key_type ec with key_curve P-256 or P-384).",
        )
    others = other_alternative_names(csr)
    if others:
        raise SpecError(
            f"The certificate request carries alternative names that are neither DNS names nor IP addresses "
            f"({', '.join(others)}); a server certificate for the appliance carries only DNS: and IP: names, so it "
            "is not signed.",
            hint="Make the request again with only DNS: and IP: alternative names.",
        )
    entries = sans_from_certificate(csr)
    try:
        warnings = validate_request(subject_from_name(csr.subject), entries)
    except SpecError as exc:
        raise SpecError(
            f"The certificate request is not signed: {exc.message[:1].lower()}{exc.message[1:]}",
            hint=exc.hint,
            details=exc.details,
        ) from None
    if not entries:
        raise SpecError(
            "The certificate request has no DNS or IP alternative name, so the certificate would cover no hostname "
            "(TLS clients read only the alternative names) and could not be bound to an address; it is not signed.",
            hint="Make the request again with each hostname as 'DNS:...' (e.g. 'DNS:support.example.com').",
        )
    return warnings


def check_csr_option(csr) -> None:
    """Refuse a csr option that is given but empty (leave it out to only report or create the CA)."""
    if csr is not None and not csr.strip():
        raise PKIError(
            "csr is empty, so there is nothing to sign.",
            hint="Give the PEM of the certificate request (appliance_csr returns it as csr), or leave csr out to "
            "only create or report the CA.",
        )


def check_ca_common_name(name) -> None:
    """Refuse a blank or padded CA name, or one too long for the names '<name> Root' and '<name> Issuing'."""
    if not isinstance(name, str) or not name.strip():
        raise PKIError(
            "ca_common_name is empty, so the new CAs would be named ' Root' and ' Issuing'.",
            hint=f"Give a name such as 'Example Lab CA', or leave ca_common_name out for '{DEFAULT_CA_COMMON_NAME}'.",
        )
    for suffix in ("Root", "Issuing"):
        try:
            checked_fields(SubjectSpec(common_name=f"{name} {suffix}"))
        except SpecError as exc:
            raise SpecError(
                f"ca_common_name {name!r} cannot name the new CAs ('{name} {suffix}'): {exc.message}",
                hint=exc.hint,
            ) from None


def pem(cert) -> str:
    """A certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def root_path_beside(ca_cert_path: str) -> str:
    """Where the root of a created CA is written, and looked for by default."""
    return os.path.join(os.path.dirname(os.path.abspath(ca_cert_path)), ROOT_FILE_NAME)


# --- files ------------------------------------------------------------------------


def _make_directories(directory: str) -> None:
    """Create ``directory`` and its missing parents with mode 0700, whatever the umask; existing ones are kept."""
    missing = []
    current = directory
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        os.mkdir(path, DIRECTORY_MODE)
        os.chmod(path, DIRECTORY_MODE)


def _write(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` from the start."""
    directory = os.path.dirname(os.path.abspath(path))
    _make_directories(directory)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".local_ca_sign-")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def check_create_passphrase(passphrase) -> None:
    """Refuse a passphrase too short to protect the new CA key."""
    if passphrase and len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise PKIError(
            f"ca_key_passphrase is shorter than {MIN_PASSPHRASE_LENGTH} characters, too short to protect the new "
            "CA key.",
            hint="Use a longer passphrase (a generated one of 20 or more characters is best), or none for a lab CA.",
        )


def check_create_paths(cert_path: str, key_path: str, root_path: str) -> None:
    """Refuse to create a CA over an existing key or root file."""
    for what, path in (("ca_key", key_path), (ROOT_FILE_NAME, root_path)):
        if os.path.exists(path):
            raise PKIError(
                f"create is true and ca_cert {cert_path} does not exist, but {what} {path} does; "
                "it is not overwritten.",
                hint="Give the ca_cert that belongs to it, or move the file away to create a new CA.",
            )


def create_ca(params: dict, cert_path: str, key_path: str, now: datetime.datetime) -> None:
    """A root (written beside ``cert_path`` as root.pem, its key not kept) and an issuing CA at the paths."""
    root_path = root_path_beside(cert_path)
    name = params["ca_common_name"]
    passphrase = params.get("ca_key_passphrase")
    spec = KeySpec.create("rsa", CA_KEY_SIZE)
    root_key = generate_private_key(spec)
    root = builder.create_ca_certificate(
        root_key, SubjectSpec(common_name=f"{name} Root"), days=ROOT_DAYS, path_length=1, now=now
    )
    issuing_key = generate_private_key(spec)
    issuing = builder.create_ca_certificate(
        issuing_key,
        SubjectSpec(common_name=f"{name} Issuing"),
        days=ISSUING_DAYS,
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
        now=now,
    )
    if passphrase:
        key_pem = export_pkcs8_pem(issuing_key, passphrase)
    else:
        key_pem = issuing_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    written = []
    try:
        for path, data, mode in (
            (key_path, key_pem, 0o600),
            (root_path, pem(root).encode("ascii"), 0o644),
            (cert_path, pem(issuing).encode("ascii"), 0o644),
        ):
            _write(path, data, mode)
            written.append(path)
    except OSError as exc:
        for path in written:
            os.unlink(path)
        raise PKIError(
            f"The new CA cannot be written: {exc.strerror or exc} ({exc.filename or cert_path}); nothing was kept.",
            hint="Check that the directories of ca_cert and ca_key exist or can be created, and are writable.",
        ) from None


def load_ca(params: dict, cert_path: str, key_path: str, chain_paths: list, now: datetime.datetime) -> tuple:
    """``(ca_cert, ca_key, chain)`` from the files, each checked."""
    if not os.path.exists(key_path):
        raise PKIError(
            f"ca_key {key_path} does not exist (ca_cert {cert_path} does).",
            hint="Give the path of the CA's private key.",
        )
    try:
        keys = formats.private_keys(formats.load_file(key_path, params.get("ca_key_passphrase")))
    except PassphraseError as exc:
        raise type(exc)(exc.message, hint="Set ca_key_passphrase to the passphrase of the CA key.") from None
    if len(keys) != 1:
        raise PKIError(
            f"ca_key {key_path} holds {len(keys)} private keys, not one.",
            hint="Give a file with only the CA's private key.",
        )
    cert_items = formats.load_file(cert_path)
    certificates = formats.certificates(cert_items)
    if not certificates:
        raise PKIError(
            f"ca_cert {cert_path} holds no certificate (only a private key).",
            hint="Point ca_cert at the CA's certificate and ca_key at its key.",
        )
    ca_cert = select_ca(certificates, keys[0], cert_path, key_path)
    check_ca_usable(ca_cert, now, f"ca_cert {cert_path}")
    candidates = [cert for cert in certificates if cert is not ca_cert]
    for path in chain_paths:
        candidates.extend(formats.certificates(formats.load_file(path)))
    return ca_cert, keys[0], build_chain(ca_cert, candidates)


def _chain_paths(ctx, cert_path: str) -> list:
    given = ctx.params.get("chain")
    if given is not None:
        return [ctx.resolve_path(path) for path in given]
    beside = root_path_beside(cert_path)
    return [beside] if os.path.exists(beside) else []


# --- the module ---------------------------------------------------------------------


def run(ctx) -> dict:
    """Report the CA, create it when asked, and sign the request when one is given."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    params = ctx.params
    now = builder.utcnow()
    check_days(params["days"])
    check_csr_option(params.get("csr"))
    if params.get("ca_common_name") is None:  # left out by a caller that runs this logic directly
        params["ca_common_name"] = DEFAULT_CA_COMMON_NAME
    if params["create"]:
        check_ca_common_name(params["ca_common_name"])
    csr = None
    if params.get("csr"):
        csr = formats.load_csr(params["csr"], source="csr")
        for warning in check_request(csr):
            ctx.warn(warning)
    cert_path = ctx.resolve_path(params["ca_cert"])
    key_path = ctx.resolve_path(params["ca_key"])
    created = False
    if not os.path.exists(cert_path):
        if not params["create"]:
            ctx.fail(
                f"ca_cert {cert_path} does not exist. Give the path of the issuing CA's certificate, "
                "or set create: true to make a new CA there."
            )
        check_create_paths(cert_path, key_path, root_path_beside(cert_path))
        check_create_passphrase(params.get("ca_key_passphrase"))
        if ctx.check_mode:
            return _predicted(csr, cert_path)
        create_ca(params, cert_path, key_path, now)
        created = True
    ca_cert, ca_key, ca_chain = load_ca(params, cert_path, key_path, _chain_paths(ctx, cert_path), now)
    result = {
        "changed": created,
        "created": created,
        "chain": [pem(cert) for cert in ca_chain],
        "ca_fingerprint": certificate_fingerprint(ca_cert),
        "root_fingerprint": certificate_fingerprint(ca_chain[-1]),
        "ca_not_after": describe_certificate(ca_cert)["not_after"],
    }
    diff_before = {"ca_fingerprint": None if created else result["ca_fingerprint"], "certificate": None}
    diff_after = {"ca_fingerprint": result["ca_fingerprint"], "certificate": None}
    if csr is not None:
        result["changed"] = True
        if ctx.check_mode:
            result["diff"] = {"before": diff_before, "after": {**diff_after, "certificate": "(signed when run)"}}
            return result
        wanted_end = now + datetime.timedelta(days=params["days"])
        if ca_cert.not_valid_after_utc < wanted_end:
            ctx.warn(
                f"The CA expires on {result['ca_not_after']}, before the {params['days']} days asked for; "
                "the certificate ends with it. Renew the CA soon."
            )
        signed = builder.sign_csr(csr, ca_cert, ca_key, days=params["days"], now=now)
        info = describe_certificate(signed)
        result["certificate"] = pem(signed)
        result["info"] = info
        diff_after["certificate"] = {
            key: info[key] for key in ("sha256_fingerprint", "subject", "subject_alt_name", "not_before", "not_after")
        }
    result["diff"] = {"before": diff_before, "after": diff_after}
    return result


def _predicted(csr, cert_path: str) -> dict:
    """Check mode with a CA still to be created: nothing is known of its fingerprints yet."""
    after = {"ca_fingerprint": f"(created at {cert_path})", "certificate": "(signed when run)" if csr else None}
    return {
        "changed": True,
        "created": True,
        "chain": [],
        "ca_fingerprint": None,
        "root_fingerprint": None,
        "diff": {"before": {"ca_fingerprint": None, "certificate": None}, "after": after},
    }


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, connection=False)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_cert_import: upload certificate, chain and key files in any of the procedure's formats.

Every file is read on the controller first (docs/procedure.md, rule R3.1: detected by
content), so a wrong passphrase, an unknown format or a private key that belongs
to no certificate fails before anything is sent. What the appliance already
holds is compared by SHA-256 fingerprint (certificates) and public-key
fingerprint (keys): the import is uploaded only when something would be new, and
check mode predicts exactly that. The chain of the server certificate is built
over the files plus the appliance's own certificates; a missing issuer is named
with its AIA caIssuers URL, and can be fetched from there.

With ``bind``, the imported server certificate is then served on IP addresses
of the appliance and each address is asked over TLS what it serves, as
appliance_ip_binding does, in the same task: the addresses and the hostnames
are checked before anything is uploaded.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

from ..resources import certificate_for_diff
from ..runner import Context, ModuleFailed, ModuleSpec
from . import ip_binding

try:
    from cryptography.hazmat.primitives.serialization import Encoding

    from ...pki import aia, chain, formats
    from ...pki.describe import describe_certificate
    from ...pki.fingerprints import certificate_fingerprint, public_key_fingerprint
    from ...pki.names import subject_from_name, uncovered_hostnames
except ImportError:  # reported through deps.require_cryptography()
    Encoding = aia = chain = formats = describe_certificate = None
    certificate_fingerprint = public_key_fingerprint = subject_from_name = uncovered_hostnames = None

ARGUMENT_SPEC = {
    "src": {"type": "list", "elements": "path"},
    "content": {"type": "list", "elements": "str", "no_log": True},
    "passphrase": {"type": "str", "no_log": True},
    "friendly_name": {"type": "str"},
    "fetch_chain": {"type": "bool", "default": False},
    "require_complete_chain": {"type": "bool", "default": False},
    "bind": {
        "type": "dict",
        "options": {
            "ip_addresses": {"type": "list", "elements": "str", "required": True},
            "hostnames": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "exact"], "default": "exact"},
            "verify_served": {"type": "bool", "default": True},
            "site_port": {"type": "int"},
            "verify_timeout": {"type": "float", "default": 10},
        },
    },
}

MAX_INPUT_BYTES = 1024 * 1024
# Rounds of "look the missing issuer up on the appliance, then through AIA" before the chain is reported as it is.
MAX_COMPLETION_ROUNDS = 8
_PEM_MARKER = "-----BEGIN "
_PREDICTED_FIELDS = (
    "sha256_fingerprint",
    "subject",
    "issuer",
    "subject_alt_name",
    "not_before",
    "not_after",
    "public_key_fingerprint",
    "self_signed",
)


@dataclass
class SourceFile:
    """One input: its name in messages, its original bytes, and what was found in it."""

    name: str
    data: bytes
    items: list = field(default_factory=list)


@dataclass
class Prediction:
    """What the appliance will do with the import: certificates new or gaining their key, the rest, new keys."""

    imported: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    new_keys: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import would write anything."""
        return bool(self.imported or self.new_keys)


# --- reading the inputs (pure) ----------------------------------------------------------------


def decode_content(text: str, name: str) -> bytes:
    """The bytes of one ``content`` entry: PEM text as it stands, anything else read as base64 of a binary file."""
    if _PEM_MARKER in text:
        return text.encode("utf-8")
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        data = b""
    if not data:
        raise ValueError(
            f"{name} is neither PEM text (no '-----BEGIN' line) nor base64. Give the PEM text of the file, or the "
            "base64 of a binary file (DER, PKCS#7, PKCS#8, PKCS#12), e.g. the 'content' that ansible.builtin.slurp "
            "returns."
        )
    return data


def check_size(size: int, name: str) -> str | None:
    """A message when a file is over the 1 MiB limit the appliance takes, else None."""
    if size <= MAX_INPUT_BYTES:
        return None
    return (
        f"'{name}' is {size} bytes; the limit is {MAX_INPUT_BYTES} bytes (1 MiB). Certificates, bundles and keys are "
        "far smaller: check that this is the right file."
    )


def item_summary(item) -> dict:
    """What one certificate or key in the files is, as the module reports it (never key material)."""
    return {"source": item.source, "kind": item.kind, "format": item.format, "description": item.describe()}


# --- deciding (pure) ----------------------------------------------------------------------------


def orphan_key(key_fingerprints: dict, certificate_public_keys: set, appliance_certificates: list) -> tuple | None:
    """``(public key fingerprint, source)`` of the first key that belongs to no certificate, or None.

    ``key_fingerprints`` maps each imported key's public-key fingerprint to the file it came from;
    a key belongs to a certificate of the files (``certificate_public_keys``) or of the appliance.
    """
    on_appliance = {cert.get("public_key_fingerprint") for cert in appliance_certificates}
    for fingerprint, source in key_fingerprints.items():
        if fingerprint not in certificate_public_keys and fingerprint not in on_appliance:
            return fingerprint, source
    return None


def predict_import(
    certificates: dict, key_fingerprints, appliance_certificates: list, appliance_keys: list
) -> Prediction:
    """What ``POST certificates/import`` will report, decided from fingerprints alone.

    ``certificates`` maps each imported certificate's fingerprint to its public-key fingerprint. A
    certificate the appliance lacks is imported; one it holds without its private key is imported
    again when the import brings that key; every other one is unchanged. A key the appliance lacks
    is new.
    """
    present = {cert.get("sha256_fingerprint"): cert for cert in appliance_certificates}
    appliance_key_fingerprints = {key.get("public_key_fingerprint") for key in appliance_keys}
    keys = set(key_fingerprints)
    prediction = Prediction()
    for fingerprint, public_fingerprint in certificates.items():
        existing = present.get(fingerprint)
        if existing is None or (not existing.get("private_key_available") and public_fingerprint in keys):
            prediction.imported.append(fingerprint)
        else:
            prediction.unchanged.append(fingerprint)
    for cert in appliance_certificates:
        fingerprint = cert.get("sha256_fingerprint")
        if fingerprint in certificates or fingerprint in prediction.imported:
            continue
        if not cert.get("private_key_available") and cert.get("public_key_fingerprint") in keys:
            prediction.imported.append(fingerprint)
    prediction.new_keys = [
        fingerprint for fingerprint in key_fingerprints if fingerprint not in appliance_key_fingerprints
    ]
    return prediction


def certificate_role(cert) -> str:
    """``server``, ``intermediate`` or ``root``, as the appliance classifies it (a CA is never a server)."""
    if chain.is_ca(cert):
        return chain.ROLE_ROOT if chain.is_self_signed(cert) else chain.ROLE_INTERMEDIATE
    return chain.classify(cert)


def newest(certificates: list) -> dict | None:
    """The most recently issued of several appliance certificates, or None."""
    if not certificates:
        return None
    return max(certificates, key=lambda cert: (cert.get("not_before") or "", cert.get("created_at") or ""))


def incomplete_chain_message(report) -> str:
    """The warning for a chain that does not reach a root: the missing issuer, where to get it, what to do."""
    leaf = report.leaf.subject.rfc4514_string() or "(empty subject)"
    top = report.chain[-1].subject.rfc4514_string() or "(empty subject)"
    text = f"The chain of '{leaf}' is incomplete: its issuer '{report.missing_issuer}'"
    if len(report.chain) > 1:
        text = f"The chain of '{leaf}' is incomplete: the issuer '{report.missing_issuer}' of '{top}'"
    text += " is neither in the files nor on the appliance."
    if report.missing_aia_urls:
        text += (
            f" Its certificate can be fetched from {', '.join(report.missing_aia_urls)} (AIA caIssuers): set "
            "fetch_chain: true, or import that file"
        )
    else:
        text += " The certificate names no AIA caIssuers link: import"
    return text + " together with every intermediate and root file the CA sent."


def chain_summary(report) -> dict:
    """The chain as the module returns it: fingerprints leaf first, roles, subjects, status, what is missing."""
    if report is None:
        return {}
    described = report.as_dict()
    keys = ("status", "fingerprints", "roles", "subjects", "not_after", "missing_issuer", "missing_aia_urls", "fetched")
    return {name: described[name] for name in keys}


def missing_issuer_summary(report) -> dict:
    """``{name, ca_issuers_urls}`` of the issuer the chain lacks; empty when nothing is missing."""
    if report is None or not report.missing_issuer:
        return {}
    return {"name": report.missing_issuer, "ca_issuers_urls": list(report.missing_aia_urls)}


def diff_entry(cert: dict) -> dict:
    """A certificate in the diff: names, fingerprints, dates, chain status, bindings, whether its key is there."""
    entry = certificate_for_diff(cert)
    if "private_key_available" in cert:
        entry["private_key_available"] = cert["private_key_available"]
    return entry


# --- the run ------------------------------------------------------------------------------------


class _Run:
    """One task: the inputs, the appliance's certificates and keys, and what was found out about them."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.params = ctx.params
        self.client = ctx.client()
        self.sources: list[SourceFile] = []
        self.certificates: dict = {}  # fingerprint -> x509 certificate, every certificate to upload
        self.keys: dict = {}  # public-key fingerprint -> source name
        self.appliance_certificates: list = []
        self.appliance_keys: list = []
        self.fetched: list = []  # (certificate, url) fetched through AIA and not on the appliance
        self.exported_ids: set = set()
        self.requests: list | None = None  # the appliance's certificate requests, read when a name is predicted
        self.pool: dict = {}  # fingerprint -> certificate: the files, the appliance's chain certificates, AIA

    # reading

    def read_inputs(self) -> None:
        for given in self.params.get("src") or []:
            self.sources.append(SourceFile(given, self._read_src(given)))
        for position, text in enumerate(self.params.get("content") or []):
            name = f"content[{position}]"
            try:
                data = decode_content(text, name)
            except ValueError as exc:
                self.ctx.fail(str(exc))
            problem = check_size(len(data), name)
            if problem:
                self.ctx.fail(problem)
            self.sources.append(SourceFile(name, data))
        passphrase = self.params.get("passphrase")
        for source in self.sources:
            loaded = formats.load_bytes_with_notes(source.data, passphrase, source=source.name)
            source.items = list(loaded.items)
            for note in loaded.notes:
                self.ctx.warn(note)
            for item in source.items:
                if item.kind == formats.KIND_CERTIFICATE:
                    self.certificates.setdefault(item.fingerprint, item.obj)
                else:
                    self.keys.setdefault(item.fingerprint, source.name)

    def _read_src(self, given: str) -> bytes:
        path = self.ctx.resolve_path(given)
        if not os.path.isfile(path):
            self.ctx.fail(
                f"src file '{given}' does not exist on the controller (looked for it as given and in the files/ "
                "folders of the role and the play). Give the path of the certificate, bundle or key file."
            )
        problem = check_size(os.path.getsize(path), given)
        if problem:
            self.ctx.fail(problem)
        try:
            with open(path, "rb") as handle:
                return handle.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            self.ctx.fail(f"src file '{given}' cannot be read: {exc.strerror or exc}. Check its permissions.")
        return b""  # not reached: ctx.fail raises

    # the appliance

    def load_appliance(self) -> None:
        self.appliance_certificates = list(self.client.get("certificates") or [])
        self.appliance_keys = list(self.client.get("keys") or [])

    def appliance_certificate(self, fingerprint: str) -> dict | None:
        return next((c for c in self.appliance_certificates if c.get("sha256_fingerprint") == fingerprint), None)

    def export_chain(self, cert: dict) -> list:
        """The appliance certificate and the chain it has there (certificates, leaf first); no key."""
        self.exported_ids.add(cert["id"])
        exported = self.client.post(
            f"certificates/{cert['id']}/export", {"format": "pem", "include_chain": True, "include_private_key": False}
        )
        content = (exported or {}).get("content") or ""
        if not content:
            return []
        items = formats.load_bytes(content, source=f"the export of certificate '{cert.get('friendly_name')}'")
        return formats.certificates(items)

    # checks

    def refuse_orphan_keys(self) -> None:
        public_keys = {public_key_fingerprint(cert.public_key()) for cert in self.certificates.values()}
        found = orphan_key(self.keys, public_keys, self.appliance_certificates)
        if found is None:
            return
        fingerprint, source = found
        self.ctx.fail(
            f"The private key in '{source}' (public key fingerprint {fingerprint}) belongs to no certificate in "
            "these files or on the appliance, so nothing was uploaded. Import it together with its certificate "
            "(both files in one task, or one PKCS#12 file holding both).",
            public_key_fingerprint=fingerprint,
            items=self.items(),
        )

    # the server certificate and its chain

    def find_leaf(self):
        """``(server certificate, the chain above it on the appliance)`` the import is about, or None.

        A server certificate of the files; else the appliance's certificate that a key of the files
        belongs to; else the appliance's certificate whose missing issuer the files bring.
        """
        imported = list(self.certificates.values())
        servers = [cert for cert in imported if certificate_role(cert) == chain.ROLE_SERVER]
        if servers:
            return self._pick_imported_leaf(imported, servers)
        candidates = []
        if self.keys:
            candidates = [
                c
                for c in self.appliance_certificates
                if c.get("role") == chain.ROLE_SERVER and c.get("public_key_fingerprint") in self.keys
            ]
        if not candidates and imported:
            subjects = {cert.subject.rfc4514_string() for cert in imported}
            candidates = [
                c
                for c in self.appliance_certificates
                if c.get("role") == chain.ROLE_SERVER
                and not c.get("factory_default")
                and c.get("chain_status") == chain.STATUS_INCOMPLETE
                and c.get("missing_issuer") in subjects
            ]
        entry = newest(candidates)
        if entry is None:
            return None
        exported = self.export_chain(entry)
        if not exported:
            return None
        return exported[0], exported[1:]

    def _pick_imported_leaf(self, imported: list, servers: list):
        if len(servers) > 1:
            with_key = [cert for cert in servers if public_key_fingerprint(cert.public_key()) in self.keys]
            if len(with_key) == 1:
                servers = with_key
        if len(servers) > 1:
            try:
                servers = [chain.find_leaf(imported)]
            except chain.ChainError:
                shown = ", ".join(f"'{cert.subject.rfc4514_string()}'" for cert in servers)
                self.ctx.warn(
                    f"The files hold {len(servers)} server certificates ({shown}); no chain is reported. "
                    "Import one server certificate (with its chain) per task to see its chain."
                )
                return None
        return servers[0], []

    def build_chain(self, leaf, above: list):
        """The chain of ``leaf`` over the files, the appliance's certificates and (with fetch_chain) AIA."""
        pool = self.pool
        pool.update({certificate_fingerprint(cert): cert for cert in [*self.certificates.values(), *above]})
        fetcher = None
        origins: dict = {}
        if self.params["fetch_chain"]:
            fetcher = _recording(aia.make_http_fetcher(), origins)
        report = None
        for _round in range(MAX_COMPLETION_ROUNDS):
            report = chain.build_chain(list(pool.values()), leaf=leaf, validate=False)
            if report.status != chain.STATUS_INCOMPLETE:
                break
            if self._add_from_appliance(report.chain[-1].issuer, pool):
                continue
            if fetcher is None:
                break
            report = chain.build_chain(list(pool.values()), leaf=leaf, fetch=fetcher, validate=False)
            for warning in report.warnings:
                if warning.startswith(("AIA fetch", "stopped following")):
                    self.ctx.warn(warning)
            for cert in report.fetched:
                fingerprint = certificate_fingerprint(cert)
                pool[fingerprint] = cert
                if self.appliance_certificate(fingerprint) is None and fingerprint not in self.certificates:
                    self.certificates[fingerprint] = cert
                    self.fetched.append((cert, origins.get(fingerprint, "AIA caIssuers")))
            if report.status != chain.STATUS_INCOMPLETE or not report.fetched:
                break
        return report

    def _add_from_appliance(self, issuer_name, pool: dict) -> bool:
        """Add appliance certificates named ``issuer_name``, with their chains, to ``pool``; True when any is new."""
        wanted = subject_from_name(issuer_name).as_dict()
        added = False
        for cert in self.appliance_certificates:
            if cert.get("id") in self.exported_ids or cert.get("sha256_fingerprint") in pool:
                continue
            if (cert.get("subject") or {}) != wanted:
                continue
            for exported in self.export_chain(cert):
                fingerprint = certificate_fingerprint(exported)
                if fingerprint not in pool:
                    pool[fingerprint] = exported
                    added = True
        return added

    # results

    def items(self) -> list:
        listed = [item_summary(item) for source in self.sources for item in source.items]
        for cert, url in self.fetched:
            listed.append(
                {
                    "source": url,
                    "kind": formats.KIND_CERTIFICATE,
                    "format": formats.FORMAT_PEM_X509,
                    "description": f"certificate fetched through AIA caIssuers {cert.subject.rfc4514_string()}, "
                    f"sha256 {certificate_fingerprint(cert)}, from {url}",
                }
            )
        return listed

    def upload_files(self) -> list:
        files = [
            {"name": source.name, "content": base64.b64encode(source.data).decode("ascii")} for source in self.sources
        ]
        for cert, url in self.fetched:
            pem = cert.public_bytes(Encoding.PEM)
            files.append({"name": url, "content": base64.b64encode(pem).decode("ascii")})
        return files

    def predicted_entry(self, fingerprint: str, report, prediction: Prediction) -> dict:
        """The appliance entry of a certificate after the import, as far as the files tell."""
        existing = self.appliance_certificate(fingerprint)
        gains_key = fingerprint in prediction.imported
        if existing is not None:
            entry = dict(existing)
            if gains_key:
                entry["private_key_available"] = True
        else:
            cert = self.certificates[fingerprint]
            described = describe_certificate(cert)
            entry = {name: described[name] for name in _PREDICTED_FIELDS}
            role = certificate_role(cert)
            entry["role"] = role
            entry["is_ca"] = described["is_ca"]
            entry["friendly_name"] = self._predicted_name(cert, role, described)
            public_fp = described["public_key_fingerprint"]
            entry["private_key_available"] = public_fp in self.keys or any(
                key.get("public_key_fingerprint") == public_fp for key in self.appliance_keys
            )
            entry["ip_addresses"] = []
            own = chain.build_chain([*self.certificates.values(), *self.pool.values()], leaf=cert, validate=False)
            entry["chain_status"] = own.status
            entry["chain"] = own.fingerprints()
        if report is not None and fingerprint == report.fingerprints()[0]:
            entry["chain_status"] = report.status
            entry["chain"] = report.fingerprints()
            entry["missing_issuer"] = report.missing_issuer
        return entry

    def _predicted_name(self, cert, role: str, described: dict) -> str:
        """The friendly name the appliance gives a new certificate: the one asked for, its request's, its names."""
        if role == chain.ROLE_SERVER and self.params.get("friendly_name"):
            return self.params["friendly_name"]
        if role == chain.ROLE_SERVER:
            if self.requests is None:
                self.requests = list(self.client.get("certificate-requests") or [])
            public_fp = described["public_key_fingerprint"]
            for request in self.requests:
                if request.get("status") == "pending" and request.get("public_key_fingerprint") == public_fp:
                    return request.get("friendly_name")
        common_name = described["subject"].get("common_name")
        if common_name:
            return common_name
        if role == chain.ROLE_SERVER and described["subject_alt_name"]:
            return described["subject_alt_name"][0].split(":", 1)[-1]
        return cert.subject.rfc4514_string() or certificate_fingerprint(cert)[:23]


def _recording(fetch, origins: dict):
    """``fetch`` that also notes, per fetched certificate fingerprint, the URL it came from."""

    def fetch_and_note(url: str) -> list:
        certs = fetch(url)
        for cert in certs or []:
            origins.setdefault(certificate_fingerprint(cert), url)
        return certs

    return fetch_and_note


def run(ctx) -> dict:
    """Read the files, decide what is new, check the chain, and upload when something would change."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    job = _Run(ctx)
    job.read_inputs()
    job.load_appliance()
    job.refuse_orphan_keys()

    found = job.find_leaf()
    report = job.build_chain(*found) if found else None
    if report is not None and report.status == chain.STATUS_INCOMPLETE:
        message = incomplete_chain_message(report)
        if ctx.params["require_complete_chain"]:
            ctx.fail(
                f"{message} require_complete_chain is true, so nothing was uploaded.",
                chain=chain_summary(report),
                missing_issuer=missing_issuer_summary(report),
                items=job.items(),
            )
        ctx.warn(message)

    leaf_fingerprint = report.fingerprints()[0] if report is not None else None
    if ctx.params.get("bind"):
        check_binding(ctx, job, leaf_fingerprint)
    public_keys = {fp: public_key_fingerprint(cert.public_key()) for fp, cert in job.certificates.items()}
    prediction = predict_import(public_keys, job.keys, job.appliance_certificates, job.appliance_keys)
    _warn_unrenamed(ctx, job, leaf_fingerprint)

    relevant = list(
        dict.fromkeys([*([leaf_fingerprint] if leaf_fingerprint else []), *job.certificates, *prediction.imported])
    )
    before = [diff_entry(c) for fp in relevant for c in [job.appliance_certificate(fp)] if c]

    imported, unchanged = prediction.imported, prediction.unchanged
    changed = prediction.changed
    if not changed:
        after_entries = {fp: job.appliance_certificate(fp) for fp in relevant if job.appliance_certificate(fp)}
    elif ctx.check_mode:
        after_entries = {fp: job.predicted_entry(fp, report, prediction) for fp in relevant}
    else:
        body = {"files": job.upload_files()}
        if ctx.params.get("passphrase") is not None:
            body["passphrase"] = ctx.params["passphrase"]
        if ctx.params.get("friendly_name"):
            body["friendly_name"] = ctx.params["friendly_name"]
        answer = job.client.post("certificates/import", body) or {}
        imported = [c.get("sha256_fingerprint") for c in answer.get("imported") or []]
        unchanged = [c.get("sha256_fingerprint") for c in answer.get("unchanged") or []]
        changed = bool(answer.get("changed"))
        now = {c.get("sha256_fingerprint"): c for c in job.client.get("certificates") or []}
        relevant = list(dict.fromkeys([*relevant, *imported]))
        after_entries = {fp: now[fp] for fp in relevant if fp in now}

    certificate = dict(after_entries.get(leaf_fingerprint) or {}) if leaf_fingerprint else {}
    result = {
        "changed": changed,
        "certificate": certificate,
        "imported": imported,
        "unchanged": unchanged,
        "items": job.items(),
        "chain": chain_summary(report),
        "missing_issuer": missing_issuer_summary(report),
        "chain_status": report.status if report is not None else None,
    }
    result["diff"] = {
        "before": {"certificates": before},
        "after": {"certificates": [diff_entry(after_entries[fp]) for fp in relevant if fp in after_entries]},
    }
    if ctx.params.get("bind"):
        bind_imported(ctx, job, result, leaf_fingerprint)
    return result


# --- bind: serve the imported certificate ------------------------------------------------------


def check_binding(ctx, job, leaf_fingerprint: str | None) -> None:
    """Refuse, before anything is uploaded, a binding that cannot work: no server certificate with its key in the
    files or on the appliance, addresses that are not IP addresses of the appliance, hostnames it does not cover."""
    bind = ctx.params["bind"]
    leaf = job.certificates.get(leaf_fingerprint) if leaf_fingerprint else None
    if leaf is None:
        ctx.fail(
            "bind needs a server certificate in the files, and they hold none. Give the server certificate (with its "
            "key, or a key already on the appliance), or import without bind."
        )
    wanted, invalid = ip_binding.normalize_addresses(bind["ip_addresses"])
    if invalid:
        ctx.fail(
            f"bind.ip_addresses {', '.join(repr(entry) for entry in invalid)} is not an IP address. Give addresses of "
            "the appliance, not hostnames; name the hostnames in bind.hostnames. Nothing was uploaded."
        )
    known = {entry.get("address") for entry in job.client.get("network/ip-addresses") or []}
    unknown = [address for address in wanted if address not in known]
    if unknown:
        ctx.fail(
            f"The appliance has no IP address {', '.join(unknown)} (it has {', '.join(sorted(known)) or 'none'}). "
            "Correct bind.ip_addresses, or add the address to the appliance first. Nothing was uploaded.",
            unknown=unknown,
        )
    leaf_key = public_key_fingerprint(leaf.public_key())
    on_appliance = job.appliance_certificate(leaf_fingerprint) or {}
    if not (
        leaf_key in job.keys
        or on_appliance.get("private_key_available")
        or any(key.get("public_key_fingerprint") == leaf_key for key in job.appliance_keys)
    ):
        ctx.fail(
            "bind needs the private key of the server certificate, and it is neither in the files nor on the "
            "appliance, so the certificate could not serve any address. Import it with its key (a passphrase-"
            "protected PKCS#12, or the key file beside it), or import without bind. Nothing was uploaded."
        )
    sans = describe_certificate(leaf).get("subject_alt_name") or []
    missing = uncovered_hostnames(list(bind["hostnames"]), sans) if bind["hostnames"] else []
    if missing:
        ctx.fail(
            f"The server certificate does not cover bind.hostnames {', '.join(missing)}: its subject alternative "
            f"names are {', '.join(sans) or 'none'} (a wildcard covers exactly one label). Import a certificate "
            "that covers them, or correct bind.hostnames. Nothing was uploaded.",
            uncovered=missing,
        )


def bind_imported(ctx, job, result: dict, leaf_fingerprint: str) -> None:
    """Serve the imported certificate on ``bind.ip_addresses`` and check what each serves; ``result`` gets
    ``binding`` (appliance_ip_binding's result), ``bindings`` and the binding's part of the diff.

    In check mode, a certificate that is not on the appliance yet cannot be bound: ``binding`` is then
    ``{skipped: true}``. A failed binding or check fails the task with what the addresses served before and after
    (``bindings``), so that the caller can serve again what was served before.
    """
    bind = ctx.params["bind"]
    if ctx.check_mode and not job.appliance_certificate(leaf_fingerprint):
        result["binding"] = {
            "skipped": True,
            "changed": True,
            "skip_reason": "check mode: the certificate is not on the appliance yet, so its binding is predicted only",
        }
        result["bindings"] = {}
        return
    params = {
        "certificate": leaf_fingerprint,
        "ip_addresses": list(bind["ip_addresses"]),
        "state": bind["state"],
        "hostnames": list(bind["hostnames"]),
        "allow_uncovered": False,
        "verify_served": bind["verify_served"],
        "site_port": bind.get("site_port"),
        "verify_timeout": bind["verify_timeout"],
    }
    sub = Context(params, check_mode=ctx.check_mode, diff_mode=ctx.diff_mode, resolve_path=ctx.resolve_path)
    sub.use_client(job.client)
    try:
        binding = ip_binding.run(sub)
    except ModuleFailed as exc:
        for warning in sub.warnings:
            ctx.warn(warning)
        raise ModuleFailed(
            exc.msg,
            **{
                key: value
                for key, value in result.items()
                if key in ("certificate", "imported", "unchanged", "chain", "chain_status")
            },
            changed=result["changed"] or bool(exc.extra.get("changed")),
            binding=exc.extra,
            bindings=exc.extra.get("bindings", {}),
        ) from None
    for warning in sub.warnings:
        ctx.warn(warning)
    binding_diff = binding.pop("diff", {"before": {}, "after": {}})
    result["binding"] = binding
    result["bindings"] = binding.get("bindings", {})
    result["changed"] = result["changed"] or binding["changed"]
    result["certificate"] = binding.get("certificate") or result["certificate"]
    result["diff"]["before"]["bindings"] = binding_diff["before"]
    result["diff"]["after"]["bindings"] = binding_diff["after"]


def _warn_unrenamed(ctx, job: _Run, leaf_fingerprint: str | None) -> None:
    wanted = ctx.params.get("friendly_name")
    existing = job.appliance_certificate(leaf_fingerprint) if leaf_fingerprint and wanted else None
    if existing and existing.get("friendly_name") != wanted:
        ctx.warn(
            f"The certificate is already on the appliance as '{existing.get('friendly_name')}'; the appliance "
            f"cannot rename it, so friendly_name '{wanted}' applies only to certificates imported for the first time."
        )


MODULE_SPEC = ModuleSpec(
    argument_spec=ARGUMENT_SPEC,
    run=run,
    required_one_of=[("src", "content")],
)

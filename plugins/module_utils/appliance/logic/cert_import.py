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

from ...procedure_rules import software_update_of
from ..runner import Context, ModuleFailed, ModuleSpec
from . import ip_binding
from .cert_import_inputs import SourceFile, item_summary, load_sources, read_sources
from .cert_import_plan import (
    Prediction,
    certificate_role,
    chain_summary,
    diff_entry,
    incomplete_chain_message,
    missing_issuer_summary,
    newest,
    orphan_key,
    predict_import,
    select_for_public_key,
)
from .csr import check_label

try:
    from cryptography.hazmat.primitives.serialization import Encoding

    from ...pki import aia, chain, chain_facts, formats, serving
    from ...pki.describe import describe_certificate
    from ...pki.fingerprints import certificate_fingerprint, fingerprint_or_none, public_key_fingerprint
    from ...pki.hostnames import uncovered_hostnames
    from ...pki.keys import appliance_key_problem
    from ...pki.subject_fields import subject_from_name
except ImportError:  # reported through deps.require_cryptography()
    Encoding = aia = chain = formats = describe_certificate = serving = None
    certificate_fingerprint = fingerprint_or_none = public_key_fingerprint = subject_from_name = None
    uncovered_hostnames = appliance_key_problem = None

ARGUMENT_SPEC = {
    "src": {"type": "list", "elements": "path"},
    "content": {"type": "list", "elements": "str", "no_log": True},
    "passphrase": {"type": "str", "no_log": True},
    "friendly_name": {"type": "str"},
    "for_public_key": {"type": "str"},
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


# Rounds of "look the missing issuer up on the appliance, then through AIA" before the chain is reported as it is.
MAX_COMPLETION_ROUNDS = 8
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
        self.left_out: list = []  # {source, reason} of the inputs left out
        self.found = True  # with for_public_key: whether the files hold a certificate for that key

    # reading

    def read_inputs(self) -> None:
        sources, self.left_out = load_sources(self.ctx, read_sources(self.ctx), self.params.get("passphrase"))
        wanted = self.params.get("for_public_key")
        if not wanted and not sources:
            left = "; ".join(f"{entry['source']}: {entry['reason']}" for entry in self.left_out)
            self.ctx.fail(
                "Nothing to import: src names no file that holds a certificate or a key"
                + (f" ({left})" if left else " (the folder is empty)")
                + ". Put the files the CA sent into the folder or name them in src; nothing was uploaded.",
                left_out=self.left_out,
            )
        if wanted:
            sources, left_out, self.found = select_for_public_key(sources, wanted)
            self.left_out += left_out
        self.sources = sources
        for source in self.sources:
            for item in source.items:
                if item.kind == formats.KIND_CERTIFICATE:
                    self.certificates.setdefault(item.fingerprint, item.obj)
                else:
                    self.keys.setdefault(item.fingerprint, source.name)
                    self._refuse_key_type(item, source.name)

    def _refuse_key_type(self, item, source: str) -> None:
        """A private key the appliance does not hold fails the task before anything is uploaded."""
        problem = appliance_key_problem(item.obj)
        if problem:
            self.ctx.fail(
                f"The private key in '{source}' cannot be imported: {problem}; nothing was uploaded. Make a new key "
                "the appliance holds (bomgar.pki.appliance_key, or appliance_csr) and have its certificate issued.",
                items=self.items(),
            )

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
        servers = [cert for cert in imported if certificate_role(cert) == chain_facts.ROLE_SERVER]
        if servers:
            return self._pick_imported_leaf(imported, servers)
        candidates = []
        if self.keys:
            candidates = [
                c
                for c in self.appliance_certificates
                if c.get("role") == chain_facts.ROLE_SERVER and c.get("public_key_fingerprint") in self.keys
            ]
        if not candidates and imported:
            subjects = {cert.subject.rfc4514_string() for cert in imported}
            candidates = [
                c
                for c in self.appliance_certificates
                if c.get("role") == chain_facts.ROLE_SERVER
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
        wanted = self.params.get("for_public_key")
        if wanted:
            servers = [cert for cert in servers if public_key_fingerprint(cert.public_key()) == wanted] or servers
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
        if role == chain_facts.ROLE_SERVER and self.params.get("friendly_name"):
            return self.params["friendly_name"]
        if role == chain_facts.ROLE_SERVER:
            if self.requests is None:
                self.requests = list(self.client.get("certificate-requests") or [])
            public_fp = described["public_key_fingerprint"]
            for request in self.requests:
                if request.get("status") == "pending" and request.get("public_key_fingerprint") == public_fp:
                    return request.get("friendly_name")
        common_name = described["subject"].get("common_name")
        if common_name:
            return common_name
        if role == chain_facts.ROLE_SERVER and described["subject_alt_name"]:
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


def _public_key_option(ctx, text: str) -> str:
    fingerprint = fingerprint_or_none(text)
    if fingerprint is None:
        ctx.fail(
            f"for_public_key '{text}' is not a SHA-256 public key fingerprint. Give the public_key_fingerprint of the "
            "request (appliance_csr returns it as request.public_key_fingerprint)."
        )
    return fingerprint


def _waiting(ctx, job) -> dict:
    """The result when the files hold no certificate for ``for_public_key`` yet: nothing is uploaded."""
    folders = ", ".join(ctx.params.get("src") or []) or "the files given"
    return {
        "changed": False,
        "waiting": True,
        "msg": f"No certificate for public key {ctx.params['for_public_key']} in {folders} yet; nothing was imported.",
        "certificate": {},
        "imported": [],
        "unchanged": [],
        "items": job.items(),
        "left_out": job.left_out,
        "chain": {},
        "missing_issuer": {},
        "chain_status": None,
        "root_fingerprint": None,
        "software_update_required": None,
        "diff": {"before": {"certificates": []}, "after": {"certificates": []}},
    }


def check_options(ctx) -> None:
    """Refuse options that are given but empty, which would otherwise import nothing without a word."""
    for option in ("src", "content"):
        if ctx.params.get(option) == []:
            ctx.fail(
                f"{option} is an empty list, so there is nothing to import. Name the certificate, bundle or key "
                f"files (or the drop folder) in src, or give their content in content; leave out {option} when it "
                "has nothing to give."
            )
    if ctx.params.get("friendly_name") is not None:
        ctx.params["friendly_name"] = check_label(ctx.params["friendly_name"], "friendly_name")


def check_served(ctx, job, report) -> None:
    """What stands in the way of serving the server certificate with this chain (docs/procedure.md, "What the
    collection refuses, and what it warns about"): with ``bind``, or when the certificate already serves addresses
    and the import would change its chain, the task fails before anything is uploaded; otherwise each is a warning.
    """
    check = serving.check_servable(report.chain)
    for warning in check.warning_texts():
        ctx.warn(warning)
    if check.servable:
        return
    details = {"serving": check.reasons(), "chain": chain_summary(report), "items": job.items()}
    if ctx.params.get("bind"):
        ctx.fail(f"{check.refusal_text()} bind is set, so nothing was uploaded.", **details)
    existing = job.appliance_certificate(report.fingerprints()[0]) or {}
    brings = [fp for fp in report.fingerprints() if job.appliance_certificate(fp) is None]
    if existing.get("ip_addresses") and brings and check.listener_refusals:
        ctx.fail(
            f"{check.refusal_text(check.listener_refusals)} It serves {', '.join(existing['ip_addresses'])}, and "
            "with the certificates of this import the appliance's TLS listener could no longer load its chain, so "
            "nothing was uploaded.",
            **details,
        )
    if existing.get("ip_addresses"):
        ctx.warn(
            f"{check.refusal_text()} It serves {', '.join(existing['ip_addresses'])} already; binding it to another "
            "address will be refused."
        )
        return
    ctx.warn(f"{check.refusal_text()} It is imported, but binding it to an IP address will be refused.")


def run(ctx) -> dict:
    """Read the files, decide what is new, check the chain, and upload when something would change."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    check_options(ctx)
    wanted_key = ctx.params.get("for_public_key")
    if wanted_key is not None:
        ctx.params["for_public_key"] = _public_key_option(ctx, wanted_key)
    job = _Run(ctx)
    job.read_inputs()
    if not job.found:
        return _waiting(ctx, job)
    job.load_appliance()
    job.refuse_orphan_keys()

    found = job.find_leaf()
    report = job.build_chain(*found) if found else None
    if report is not None:
        check_served(ctx, job, report)
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
        **software_update_of(certificate, job.client.get("status/basics") if certificate else None),
        "left_out": job.left_out,
    }
    if ctx.params.get("for_public_key"):
        result["waiting"] = False
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

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What appliance_cert_import will do, decided from fingerprints before anything is sent.

Which certificates the appliance lacks or holds without their key, which keys
are new, which key belongs to no certificate, which certificate of the files is
the server certificate (and, for the answer to a request, which files are that
answer), and how the chain and its gaps are reported. Nothing here talks to the
appliance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..resources import certificate_for_diff

try:
    from ...pki import chain, chain_facts, formats
    from ...pki.fingerprints import public_key_fingerprint
except ImportError:  # reported through deps.require_cryptography()
    chain = chain_facts = formats = public_key_fingerprint = None


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
    if chain_facts.is_ca(cert):
        return chain_facts.ROLE_ROOT if chain_facts.is_self_signed(cert) else chain_facts.ROLE_INTERMEDIATE
    return chain_facts.classify(cert)


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
    reason = report.missing_reason
    found = "; ".join(report.missing_found)
    if reason == chain.REASON_LOOP:
        return (
            f"{text} cannot be found: {found}. Import the self-signed root of this CA (every intermediate and root "
            "file the CA sent), or ask the CA for its chain."
        )
    if reason == chain.REASON_OTHER_KEY:
        return (
            f"{text} is not among the certificates given or on the appliance: {found}. Import the intermediate "
            "and root files the CA sent with this certificate (not those of an older or another CA with the same "
            "name)."
        )
    if reason == chain.REASON_WEAK_SIGNATURE:
        return (
            f"{text} cannot be confirmed: {found}. Ask the CA for the certificate and its chain signed with "
            "SHA-256 or stronger."
        )
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


def select_for_public_key(sources: list, wanted: str) -> tuple[list, list, bool]:
    """``(sources to import, left_out, found)``: the answer of a CA to the request with public key ``wanted``.

    Files that hold only CA certificates are kept. Of the files that hold a server certificate, only the one
    with the newest certificate for this key (latest start, then latest end) is kept; the others (an earlier
    answer, another request's) are left out (``{source, reason}``). ``found`` is false when no file holds a
    certificate for this key: then the CA has not answered yet and nothing is to be imported.
    """
    kept, left_out, matching = [], [], []
    for source in sources:
        servers = [
            item.obj
            for item in source.items
            if item.kind == formats.KIND_CERTIFICATE and certificate_role(item.obj) == chain_facts.ROLE_SERVER
        ]
        if not servers:
            kept.append(source)
            continue
        mine = [cert for cert in servers if public_key_fingerprint(cert.public_key()) == wanted]
        if mine:
            matching.append((max((cert.not_valid_before_utc, cert.not_valid_after_utc) for cert in mine), source))
        else:
            left_out.append({"source": source.name, "reason": f"its server certificate is not for public key {wanted}"})
    if not matching:
        return [], left_out + [{"source": s.name, "reason": "no answer for the request yet"} for s in kept], False
    matching.sort(key=lambda pair: pair[0])
    chosen = matching[-1][1]
    left_out += [{"source": s.name, "reason": "an earlier answer for the same key"} for _when, s in matching[:-1]]
    return [source for source in sources if source in kept or source is chosen], left_out, True

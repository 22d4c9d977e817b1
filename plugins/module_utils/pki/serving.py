# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Can this certificate be served on an IP address of the appliance? The one rule, and what to say about it.

docs/procedure.md, "What the collection refuses, and what it warns about". The
certificate is checked with its chain as it would be served (server certificate
first, root last when the chain is complete). Each finding either refuses the
binding or is a warning; appliance_cert_import reports the refusals as
warnings when it only imports, and fails before uploading when it also binds;
appliance_ip_binding and the reference appliance refuse to bind.

Some refusals are the appliance's own TLS listener's (OpenSSL 3 at its default
security level 2): it cannot load a certificate chain in which a certificate it
sends is signed with SHA-1 or MD5 (the self-signature of a self-signed
certificate is not checked) or carries an RSA key under 2048 bits, so every TLS
connection to the address would be reset. The others are the TLS clients':
they refuse a certificate that is expired or not yet valid, names no DNS or IP
alternative name, or is not for TLS servers by its key usages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from . import hostnames
from .chain_facts import common_names, extension, is_self_issued, is_self_signed, subject_text
from .errors import PKIError, with_article
from .keys import appliance_key_problem

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:  # reported by deps.require_cryptography()
    x509 = rsa = ExtendedKeyUsageOID = None

    class UnsupportedAlgorithm(Exception):
        """Placeholder so the ``except`` clauses below stay valid without cryptography."""


REFUSE_BINDING = "refuse_binding"
WARN = "warn"
MINIMUM_RSA_BITS = 2048
WEAK_SIGNATURE_HASHES = ("md5", "sha1")
# A certificate that becomes valid within this time counts as valid: clocks of CAs and controllers differ a little.
CLOCK_SKEW = datetime.timedelta(minutes=5)

EKU_NAMES = {
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
}
_FIXES = {
    "expired": "Renew it: import the certificate the CA issues now.",
    "not_yet_valid": "Check the clocks of the controller and the CA, or bind it once it becomes valid.",
    "weak_signature": "Ask the CA for the certificate and its chain signed with SHA-256 or stronger.",
    "weak_key": "Make a new key the appliance holds (RSA 2048/3072/4096, EC P-256/P-384) and have it certified.",
    "no_names": "Have it re-issued with each hostname as a DNS subject alternative name (IP: for an address).",
    "not_for_servers": "Have it re-issued as a TLS server certificate (extendedKeyUsage serverAuth, keyUsage "
    "digitalSignature).",
    "ca_expired": "Import the CA's current intermediate and root certificates.",
    "ca_not_yet_valid": "Check the clocks of the controller and the CA.",
}


@dataclass(frozen=True)
class Finding:
    """One thing found: a ``code``, whether it refuses the binding or warns, and what it is in words.

    ``listener`` is true when the appliance's TLS listener cannot load the chain at all because of it.
    """

    code: str
    severity: str
    message: str
    listener: bool = False

    @property
    def fix(self) -> str:
        return _FIXES.get(self.code, "")


@dataclass
class ServingCheck:
    """What :func:`check_servable` found about one certificate and its chain."""

    subject: str
    findings: list = field(default_factory=list)

    @property
    def refusals(self) -> list:
        return [finding for finding in self.findings if finding.severity == REFUSE_BINDING]

    @property
    def listener_refusals(self) -> list:
        return [finding for finding in self.refusals if finding.listener]

    @property
    def warnings(self) -> list:
        return [finding for finding in self.findings if finding.severity == WARN]

    @property
    def servable(self) -> bool:
        """True when nothing refuses the binding."""
        return not self.refusals

    def refusal_text(self, findings: list | None = None) -> str:
        """``certificate 'CN=x' cannot be served: a; b. Fix a. Fix b.`` for the refusals (or ``findings``)."""
        chosen = self.refusals if findings is None else findings
        reasons = "; ".join(finding.message for finding in chosen)
        fixes = " ".join(dict.fromkeys(finding.fix for finding in chosen if finding.fix))
        return f"Certificate '{self.subject}' cannot be served on an IP address: {reasons}. {fixes}".rstrip()

    def warning_texts(self) -> list[str]:
        """One sentence per warning, naming the certificate."""
        return [f"Certificate '{self.subject}': {finding.message}." for finding in self.warnings]

    def reasons(self, findings: list | None = None) -> list[dict]:
        """``[{code, message}]`` of the refusals (or ``findings``), for a result or an API refusal's details."""
        chosen = self.refusals if findings is None else findings
        return [{"code": finding.code, "message": finding.message} for finding in chosen]


def _date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _utc(moment: datetime.datetime | None) -> datetime.datetime:
    if moment is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def weak_signature_hash(cert) -> str | None:
    """``SHA-1`` or ``MD5`` when the certificate is signed with that hash (which TLS libraries refuse), else None."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    if algorithm is not None and algorithm.name in WEAK_SIGNATURE_HASHES:
        return "SHA-1" if algorithm.name == "sha1" else "MD5"
    return None


def small_rsa_bits(cert) -> int | None:
    """The size of the certificate's RSA key when it is under 2048 bits (which TLS libraries refuse), else None."""
    try:
        public_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < MINIMUM_RSA_BITS:
        return public_key.key_size
    return None


def _validity(cert, what: str, now, prefix: str) -> list:
    if cert.not_valid_after_utc < now:
        return [Finding(f"{prefix}expired", REFUSE_BINDING, f"{what} expired on {_date(cert.not_valid_after_utc)}")]
    if cert.not_valid_before_utc > now + CLOCK_SKEW:
        return [
            Finding(
                f"{prefix}not_yet_valid",
                REFUSE_BINDING,
                f"{what} is not valid before {_date(cert.not_valid_before_utc)}",
            )
        ]
    return []


def _signature(cert, what: str, served: bool) -> list:
    weak = weak_signature_hash(cert)
    if weak is None:
        return []
    # OpenSSL does not check the signature of a certificate issued by itself (its name and key identifiers
    # point to itself), so the listener loads a self-issued one whatever it is signed with.
    self_signed = is_self_issued(cert)
    return [
        Finding(
            "weak_signature",
            REFUSE_BINDING,
            f"{what} is signed with {weak}, which TLS clients refuse"
            + ("" if self_signed or not served else " and the appliance's TLS listener cannot load"),
            listener=served and not self_signed,
        )
    ]


def _names(leaf) -> list:
    """No usable name (refuse), names that cover nothing, other name types, a common name left out (warn)."""
    found = []
    try:
        entries = hostnames.sans_from_certificate(leaf)
        others = hostnames.other_alternative_names(leaf)
    except PKIError:
        entries, others = [], []
    usable = [entry for entry in entries if hostnames.usable_entry(entry)]
    unusable = [str(entry) for entry in entries if not hostnames.usable_entry(entry)]
    names = [name for name in common_names(leaf) if hostnames.is_dns_name(name) or hostnames.ip_address_or_none(name)]
    if not usable:
        if extension(leaf, x509.SubjectAlternativeName) is None:
            text = "it has no subject alternative names, so it covers no hostname (TLS clients match only those)"
        else:
            listed = ", ".join([*unusable, *others])
            text = f"none of its subject alternative names ({listed}) is a DNS name or IP address a TLS client matches"
        if names:
            address = hostnames.ip_address_or_none(names[0])
            kind = "an IP address" if address is not None else "a DNS name"
            entry = f"IP:{address}" if address is not None else f"DNS:{names[0]}"
            text += (
                f"; its common name '{names[0]}' is {kind}, but clients read only the alternative names: it needs "
                f"'{entry}' among them"
            )
        return [Finding("no_names", REFUSE_BINDING, text)]
    if unusable:
        found.append(
            Finding(
                "unusable_names",
                WARN,
                f"its alternative name(s) {', '.join(unusable)} cover no hostname (a wildcard is only a whole "
                "leftmost label followed by two or more labels)",
            )
        )
    if others:
        found.append(
            Finding(
                "other_names",
                WARN,
                f"it carries alternative names that are neither DNS names nor IP addresses ({', '.join(others)}); "
                "TLS clients ignore them and a server certificate should not carry them",
            )
        )
    for name in names:
        try:
            covered = hostnames.hostname_covered(name, usable)
        except PKIError:
            covered = True
        if not covered:
            found.append(
                Finding(
                    "common_name_not_covered",
                    WARN,
                    f"its common name '{name}' is not among its alternative names, and TLS clients do not read the "
                    "common name, so that name is not covered",
                )
            )
    return found


def _usages(leaf) -> list:
    found = []
    usages = extension(leaf, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        listed = ", ".join(EKU_NAMES.get(oid.dotted_string, oid.dotted_string) for oid in usages) or "none"
        found.append(
            Finding(
                "not_for_servers",
                REFUSE_BINDING,
                f"it is not for TLS servers: its extendedKeyUsage lacks serverAuth (it has {listed})",
            )
        )
    key_usage = extension(leaf, x509.KeyUsage)
    if key_usage is not None and not (
        key_usage.digital_signature or key_usage.key_encipherment or key_usage.key_agreement
    ):
        found.append(
            Finding(
                "not_for_servers",
                REFUSE_BINDING,
                "its keyUsage allows neither digitalSignature nor keyEncipherment nor keyAgreement, which a TLS "
                "server needs",
            )
        )
    return found


def check_servable(chain: list, now: datetime.datetime | None = None) -> ServingCheck:
    """What stands in the way of serving ``chain[0]`` with the chain above it (``chain[1:]``), and what to warn about.

    ``chain`` is the server certificate first, then its issuers as far as they are known, the root last when
    the chain is complete (as ``chain.build_chain`` orders it). The appliance serves the chain without its
    root when it is complete, and all of it otherwise.
    """
    moment = _utc(now)
    leaf = chain[0]
    complete = len(chain) > 1 and is_self_signed(chain[-1])
    served = chain[:-1] if complete else chain
    check = ServingCheck(subject=subject_text(leaf))
    findings = check.findings
    findings.extend(_validity(leaf, "it", moment, ""))
    findings.extend(_signature(leaf, "it", served=True))
    problem = appliance_key_problem(leaf.public_key())
    if problem:
        bits = small_rsa_bits(leaf)
        if bits:
            problem += " (TLS clients and the appliance's TLS listener refuse RSA keys under 2048 bits)"
        findings.append(Finding("weak_key", REFUSE_BINDING, problem, listener=bits is not None))
    findings.extend(_names(leaf))
    findings.extend(_usages(leaf))
    for cert in chain[1:]:
        what = f"{'root' if is_self_issued(cert) else 'intermediate'} '{subject_text(cert)}'"
        findings.extend(
            Finding(finding.code, finding.severity, f"its {finding.message}")
            for finding in _validity(cert, what, moment, "ca_")
        )
        is_served = cert in served
        if not is_self_issued(cert):
            findings.extend(
                Finding(finding.code, finding.severity, f"its {finding.message}", finding.listener)
                for finding in _signature(cert, what, served=is_served)
            )
        bits = small_rsa_bits(cert)
        if bits is not None:
            findings.append(
                Finding(
                    "weak_key",
                    REFUSE_BINDING,
                    f"its {what} has {with_article(f'{bits}-bit')} RSA key, which TLS clients refuse"
                    + (" and the appliance's TLS listener cannot load" if is_served else ""),
                    listener=is_served,
                )
            )
    return check

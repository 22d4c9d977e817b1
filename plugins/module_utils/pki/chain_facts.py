# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What one certificate is, on its own or beside one other: CA or not, self-signed, who signed it, its role.

The roles are the procedure's (docs/procedure.md, rules R3.4 and R3.5): a root's Issued To
equals its Issued By; an intermediate is any other CA; the server certificate is
the one issued to a URL (it names a host), which is the one whose alternative
names cover the appliance's hostname when that is known. Issuers are matched by
signature, not by name alone, since two CAs can share a name.
"""

from __future__ import annotations

import datetime

from .errors import PKIError
from .fingerprints import certificate_fingerprint
from .hostnames import hostname_covered, is_dns_name, sans_from_certificate

_SIGNATURE_ERRORS: tuple = (ValueError, TypeError)
try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    _SIGNATURE_ERRORS += (InvalidSignature, UnsupportedAlgorithm)
except ImportError:  # reported by deps.require_cryptography()
    x509 = None

ROLE_SERVER, ROLE_INTERMEDIATE, ROLE_ROOT = "server", "intermediate", "root"


def subject_text(cert) -> str:
    return cert.subject.rfc4514_string() or "(empty subject)"


def label(cert) -> str:
    """``'CN=x' (sha256 ab:cd:..)``: how a certificate is named in messages."""
    return f"'{subject_text(cert)}' ({certificate_fingerprint(cert)})"


def extension(cert, extension_class):
    """The value of an extension, or None when absent or unreadable."""
    try:
        return cert.extensions.get_extension_for_class(extension_class).value
    except (x509.ExtensionNotFound, x509.DuplicateExtension, ValueError):
        return None


def is_ca(cert) -> bool:
    """True when basicConstraints marks the certificate as a CA."""
    constraints = extension(cert, x509.BasicConstraints)
    return bool(constraints is not None and constraints.ca)


def is_end_entity(cert) -> bool:
    """True when basicConstraints is absent or says CA false."""
    return not is_ca(cert)


def is_self_issued(cert) -> bool:
    """True when the certificate's subject equals its issuer (Issued To equals Issued By)."""
    return cert.subject == cert.issuer


def _signed_by(child, parent) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except _SIGNATURE_ERRORS:
        return False
    return True


def is_self_signed(cert) -> bool:
    """True when the certificate is self-issued and its signature verifies with its own key."""
    return is_self_issued(cert) and _signed_by(cert, cert)


def issued_by(child, parent) -> bool:
    """True when ``parent``'s subject is ``child``'s issuer and ``parent``'s key verifies ``child``'s signature."""
    return parent.subject == child.issuer and _signed_by(child, parent)


def valid_at(cert, moment: datetime.datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def sans_of(cert) -> list:
    """The DNS and IP alternative names of a certificate ([] when it has none or they cannot be read)."""
    try:
        return sans_from_certificate(cert)
    except PKIError:
        return []


def common_names(cert) -> list[str]:
    """The common names (CN) of the certificate's subject, as text."""
    values = []
    for attribute in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        value = attribute.value
        values.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)
    return values


def covers_hostname(cert, hostname: str) -> bool:
    """True when the certificate covers ``hostname`` for a TLS client (:func:`hostnames.hostname_covered`)."""
    if not hostname:
        return False
    return hostname_covered(hostname, sans_of(cert))


def _names_a_host(cert) -> bool:
    """True when the certificate looks issued to a URL: DNS/IP alternative names, or a dotted DNS common name."""
    return bool(sans_of(cert)) or any(is_dns_name(cn) for cn in common_names(cert))


def classify(cert, hostnames=()) -> str:
    """The certificate's role by the procedure's rules: ``server``, ``intermediate`` or ``root``.

    Server: it matches one of ``hostnames``, is an end-entity, or is issued to a URL (DNS/IP
    alternative names or a DNS common name), self-signed or not. Root: self-signed and not issued to
    a URL. Intermediate: any other CA certificate.
    """
    if isinstance(hostnames, str):
        hostnames = (hostnames,)
    if any(covers_hostname(cert, hostname) for hostname in hostnames or ()):
        return ROLE_SERVER
    constraints = extension(cert, x509.BasicConstraints)
    if is_self_signed(cert):
        explicit_end_entity = constraints is not None and not constraints.ca
        return ROLE_SERVER if explicit_end_entity or _names_a_host(cert) else ROLE_ROOT
    if constraints is None or not constraints.ca or _names_a_host(cert):
        return ROLE_SERVER
    return ROLE_INTERMEDIATE

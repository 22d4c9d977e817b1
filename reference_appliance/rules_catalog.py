# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsed certificates by id, with their descriptions, roles and chains, kept in step with the store.

The store is the truth. Stored certificates never change (the id is the start
of the fingerprint), so a parsed certificate and its description stay valid for
as long as the certificate exists. A chain is dropped when a certificate is
added or removed whose subject is one of the issuer names the chain looked up.
"""

from __future__ import annotations

from cryptography import x509

from .core import chain, chain_facts, describe

_DESCRIPTION_FIELDS = (
    "sha256_fingerprint",
    "subject",
    "issuer",
    "subject_alt_name",
    "serial_number",
    "not_before",
    "not_after",
    "public_key",
    "public_key_fingerprint",
    "is_ca",
    "self_signed",
    "ca_issuers_urls",
    "ocsp_urls",
)


class CertificateCatalog:
    """Certificates of the store, parsed once; their chains built over the stored certificates and cached."""

    def __init__(self, hostnames=()):
        self._hostnames = tuple(name for name in hostnames if name)
        self._certificates: dict[str, x509.Certificate] = {}
        self._descriptions: dict[str, dict] = {}
        self._roles: dict[str, str] = {}
        self._chains: dict[str, chain.ChainReport] = {}
        self._by_subject: dict = {}
        self._chain_names: dict[str, set] = {}

    def sync(self, tx) -> None:
        """Match the cache to the certificates in the store (``tx`` is a store transaction)."""
        ids = tx.certificate_ids()
        if set(ids) == set(self._certificates):
            return
        present = set(ids)
        changed_names = set()
        for gone in [ident for ident in self._certificates if ident not in present]:
            changed_names.add(self._certificates.pop(gone).subject)
            self._descriptions.pop(gone, None)
            self._roles.pop(gone, None)
            self._chains.pop(gone, None)
            self._chain_names.pop(gone, None)
        for ident in ids:
            if ident not in self._certificates:
                self._certificates[ident] = x509.load_der_x509_certificate(tx.certificate(ident)["der"])
                changed_names.add(self._certificates[ident].subject)
        self._by_subject = {}
        for ident, cert in self._certificates.items():
            self._by_subject.setdefault(cert.subject, []).append(ident)
        for ident in [ident for ident, looked_up in self._chain_names.items() if looked_up & changed_names]:
            self._chains.pop(ident, None)
            self._chain_names.pop(ident, None)

    def certificate(self, certificate_id: str) -> x509.Certificate:
        """The parsed certificate (after :meth:`sync`)."""
        return self._certificates[certificate_id]

    def description(self, certificate_id: str) -> dict:
        """The certificate fields of the API's certificate object that come from the certificate itself."""
        if certificate_id not in self._descriptions:
            described = describe.describe_certificate(self._certificates[certificate_id])
            self._descriptions[certificate_id] = {name: described[name] for name in _DESCRIPTION_FIELDS}
        return self._descriptions[certificate_id]

    def role(self, certificate_id: str) -> str:
        """``server``, ``intermediate`` or ``root`` by the procedure's rules."""
        if certificate_id not in self._roles:
            self._roles[certificate_id] = role_of(self._certificates[certificate_id], self._hostnames)
        return self._roles[certificate_id]

    def chain(self, certificate_id: str) -> chain.ChainReport:
        """The chain of the certificate up through the stored certificates (not validated, nothing fetched)."""
        if certificate_id not in self._chains:
            leaf = self._certificates[certificate_id]
            candidates, looked_up = self._possible_issuers(certificate_id)
            self._chain_names[certificate_id] = looked_up
            self._chains[certificate_id] = chain.build_chain(candidates, leaf=leaf, validate=False)
        return self._chains[certificate_id]

    def _possible_issuers(self, certificate_id: str) -> tuple[list, set]:
        """Every stored certificate that could be above this one (named as its issuer, or as theirs, and so on),
        and the issuer names looked up to find them.

        Chain building only ever considers certificates whose subject is the issuer of a certificate on the
        path, so this subset gives the same chain as all certificates, at a cost that does not grow with
        the number of unrelated certificates; and the chain changes only when a certificate with one of the
        names looked up is added or removed.
        """
        seen = {certificate_id}
        found = []
        looked_up = set()
        frontier = [self._certificates[certificate_id]]
        while frontier:
            current = frontier.pop()
            looked_up.add(current.issuer)
            for ident in self._by_subject.get(current.issuer, ()):
                if ident not in seen:
                    seen.add(ident)
                    found.append(self._certificates[ident])
                    frontier.append(self._certificates[ident])
        return found, looked_up


def role_of(cert, hostnames=()) -> str:
    """The role of a certificate by the procedure's rules; a CA certificate is never a server certificate."""
    if chain_facts.is_ca(cert):
        return chain_facts.ROLE_ROOT if chain_facts.is_self_signed(cert) else chain_facts.ROLE_INTERMEDIATE
    return chain_facts.classify(cert, hostnames)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an address serves right now: the certificate chain a TLS client is shown.

The check is not a trust decision (the chain is compared with what was bound,
by fingerprint, or verified afterwards against a CA bundle of the caller's
choice), so the handshake does not verify. The whole chain comes from
``SSLSocket.get_unverified_chain()`` (public from Python 3.13, the same call on
the private ``_sslobj`` before); :func:`probe` also says which TLS version and
cipher the handshake agreed on.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from dataclasses import dataclass, field


class ProbeError(Exception):
    """The address could not be reached or did not complete a TLS handshake."""


def _fingerprint(der: bytes) -> str:
    return ":".join(f"{b:02x}" for b in hashlib.sha256(der).digest())


def _probe_context() -> ssl.SSLContext:
    """A client context that verifies nothing, so it loads no trust store (that costs more than the handshake)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_CONTEXT = _probe_context()


@dataclass(frozen=True)
class Served:
    """What one TLS handshake showed: the chain as served (DER, in the server's order) and what was agreed on."""

    chain: list = field(default_factory=list)
    version: str | None = None
    cipher: str | None = None
    cipher_bits: int | None = None


def probe(address: str, port: int, server_hostname: str | None = None, timeout: float = 10.0) -> Served:
    """One handshake with ``(address, port)``, sending ``server_hostname`` as SNI; the chain is not verified."""
    context = _CONTEXT
    try:
        with (
            socket.create_connection((address, int(port)), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=server_hostname) as tls,
        ):
            name, _protocol, bits = tls.cipher() or (None, None, None)
            return Served(chain=_chain_of(tls), version=tls.version(), cipher=name, cipher_bits=bits)
    except (OSError, ssl.SSLError) as exc:
        raise ProbeError(f"TLS to {address}:{port} failed: {exc}") from None


def served_chain_der(address: str, port: int, server_hostname: str | None = None, timeout: float = 10.0) -> list:
    """DER certificates served on ``(address, port)``, leaf first."""
    return probe(address, port, server_hostname, timeout).chain


def _chain_of(tls) -> list:
    getter = getattr(tls, "get_unverified_chain", None) or tls._sslobj.get_unverified_chain  # pylint: disable=protected-access
    ders = []
    for cert in getter() or []:
        ders.append(cert if isinstance(cert, bytes) else cert.public_bytes(ssl._ssl.ENCODING_DER))  # pylint: disable=protected-access
    if not ders:
        leaf = tls.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    return ders


def served_fingerprints(address: str, port: int, server_hostname: str | None = None, timeout: float = 10.0) -> list:
    """SHA-256 fingerprints of the served chain, leaf first."""
    return [_fingerprint(der) for der in served_chain_der(address, port, server_hostname, timeout)]

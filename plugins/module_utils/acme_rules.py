# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules of an ACME order that the appliance_acme module and the certificate role's plan share.

- ``contact_uris``: the account's contacts as URIs (a plain e-mail address gets ``mailto:``).
- ``identifier_names``: DNS names as an order's identifiers: lower case, no final dot, each once, order kept.
- ``http01_wildcards``: the names HTTP-01 cannot prove (wildcards; only DNS-01 can, RFC 8555 section 7.1.3).
- ``pem_certificates``: the certificate blocks of a PEM CA bundle, whitespace-normalised, for comparing bundles.
"""

from __future__ import annotations


def contact_uris(contact) -> list[str]:
    """The account's contacts as URIs: a plain e-mail address gets ``mailto:``, a URI stays; each once, in order."""
    uris = []
    for entry in contact or []:
        text = str(entry).strip()
        if not text:
            continue
        uri = text if ":" in text else f"mailto:{text}"
        if uri not in uris:
            uris.append(uri)
    return uris


def identifier_names(names) -> list[str]:
    """Names as an ACME order carries them and the appliance compares them: lower case, no final dot, each once."""
    result = []
    for name in names or []:
        text = str(name).strip().rstrip(".").lower()
        if text and text not in result:
            result.append(text)
    return result


def http01_wildcards(names) -> list[str]:
    """The wildcard names among ``names``: HTTP-01 cannot prove them, only DNS-01 can."""
    return [name for name in identifier_names(names) if "*" in name]


def pem_certificates(pem: str | None) -> tuple:
    """The PEM blocks of ``pem``, each line stripped, text between blocks dropped (the form the appliance keeps)."""
    if not pem:
        return ()
    blocks, current = [], None
    for raw in str(pem).splitlines():
        line = raw.strip()
        if line.startswith("-----BEGIN "):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.startswith("-----END "):
                blocks.append("\n".join(current))
                current = None
    return tuple(blocks)

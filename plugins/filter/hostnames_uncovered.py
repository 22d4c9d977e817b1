# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.hostnames_uncovered: the hostnames a certificate's subject alternative names do not cover.

The coverage rules are the PKI core's (``hostnames.uncovered_hostnames``): the ones TLS
clients follow (RFC 6125 / RFC 9525), where a wildcard covers exactly one label.
Documentation: ``hostnames_uncovered.yml`` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PKIError
from ansible_collections.bomgar.pki.plugins.module_utils.pki.hostnames import uncovered_hostnames


def _as_list(value, what: str) -> list:
    """A list of text entries from a list or a single text; anything else is refused, naming ``what``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not hasattr(value, "__iter__"):
        raise AnsibleFilterError(
            f"hostnames_uncovered: {what} must be a list of text, got {type(value).__name__}. "
            f"Pass {what} as a list, for example ['support.example.com']."
        )
    return list(value)


def hostnames_uncovered(hostnames, subject_alt_name) -> list:
    """The entries of ``hostnames`` (in order, duplicates removed) that ``subject_alt_name`` does not cover."""
    names = list(dict.fromkeys(_as_list(hostnames, "the hostnames")))
    sans = _as_list(subject_alt_name, "subject_alt_name")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise AnsibleFilterError(
                f"hostnames_uncovered: hostname {name!r} is not a DNS name or IP address. "
                "Remove it or give the name TLS clients use."
            )
    try:
        return uncovered_hostnames(names, sans)
    except PKIError as exc:
        raise AnsibleFilterError(f"hostnames_uncovered: {exc}") from None


class FilterModule:
    """bomgar.pki filters for hostname coverage."""

    def filters(self) -> dict:
        """The filters of this file."""
        return {"hostnames_uncovered": hostnames_uncovered}

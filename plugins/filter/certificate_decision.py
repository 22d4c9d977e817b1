# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.certificate_decision: issue, reissue, renew or nothing, with the reasons."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.certificate_decision import decide
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PKIError


def certificate_decision(info, spec):
    """The decision for ``spec`` given the registered result ``info`` of appliance_certificate_info."""
    try:
        return decide(_plain(info), _plain(spec))
    except PKIError as exc:
        raise AnsibleFilterError(f"certificate_decision: {exc}") from None


def _plain(value):
    """Ansible's lazy containers and tagged strings as plain dicts, lists and values."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return value


class FilterModule:
    """bomgar.pki filters for certificate decisions."""

    def filters(self):
        """The filters of this file."""
        return {"certificate_decision": certificate_decision}

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of appliance_certificate, without an appliance: which CA certificate completes a served chain."""

from __future__ import annotations

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import certificate

ROOT = {"sha256_fingerprint": "cc", "subject": {"common_name": "Root"}, "public_key_fingerprint": "k-root"}
INTERMEDIATE = {"sha256_fingerprint": "bb", "subject": {"common_name": "Issuing"}, "public_key_fingerprint": "k-int"}
SERVED = {"sha256_fingerprint": "aa", "chain": ["aa", "bb", "cc"], "ip_addresses": ["127.0.0.2"]}
IDLE = {"sha256_fingerprint": "dd", "chain": ["dd", "bb", "cc"], "ip_addresses": []}


def test_a_ca_certificate_in_the_chain_of_a_served_certificate_is_found():
    everything = [ROOT, INTERMEDIATE, SERVED, IDLE]
    assert certificate.chains_completed_by(ROOT, everything, {"cc"}) == [SERVED]
    assert certificate.chains_completed_by(INTERMEDIATE, everything, {"bb"}) == [SERVED]
    assert certificate.chains_completed_by(SERVED, everything, {"aa"}) == []


def test_a_reissued_ca_with_the_same_key_takes_its_place_unless_it_goes_too():
    reissued = {**ROOT, "sha256_fingerprint": "ee"}
    everything = [ROOT, reissued, INTERMEDIATE, SERVED]
    assert certificate.chains_completed_by(ROOT, everything, {"cc"}) == []
    assert certificate.chains_completed_by(ROOT, everything, {"cc", "ee"}) == [SERVED]

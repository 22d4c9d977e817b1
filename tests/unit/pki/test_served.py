# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a served chain is, judged against a CA bundle: pki.served, pki.trust and pki.lifetime."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import lifetime, served, trust
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import ChainError
from chain_factory import DAY, NOW, der, make_hierarchy, make_intermediate, make_leaf, make_root, pem

UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def hierarchy():
    return make_hierarchy(leaf_aia=("http://pki.example.com/issuing.cer",))


@pytest.fixture(scope="module")
def anchors(hierarchy):
    return trust.TrustStore(path="test", source="given", certificates=[hierarchy.root.cert])


def facts(chain, anchors, hostname="support.example.com", moment=NOW, **options):
    return served.served_facts([der(cert) for cert in chain], anchors, moment, hostname, [hostname], **options)


def test_a_complete_chain_verifies_without_the_root(hierarchy, anchors):
    found = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert], anchors)
    assert found["verification"]["verified"] is True
    chain = found["chain"]
    assert (chain["status"], chain["in_order"], chain["root_included"], chain["anchored"]) == (
        "complete",
        True,
        False,
        True,
    )
    assert [entry["role"] for entry in chain["served"]] == ["server", "intermediate"]
    assert found["hostname_covered"] is True
    assert found["certificate"]["ca_issuers_urls"] == ["http://pki.example.com/issuing.cer"]


def test_leaf_only_is_incomplete_and_names_what_is_missing(hierarchy, anchors):
    found = facts([hierarchy.leaf.cert], anchors)
    chain = found["chain"]
    assert chain["status"] == "incomplete"
    assert "Test Intermediate CA" in chain["missing_issuer"]
    assert chain["missing_aia_urls"] == ["http://pki.example.com/issuing.cer"]
    assert found["verification"]["verified"] is False
    assert found["verification"]["reason"].startswith("chain incomplete")


def test_the_root_sent_and_the_wrong_order_are_told_apart(hierarchy, anchors):
    rooted = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert, hierarchy.root.cert], anchors)["chain"]
    assert (rooted["root_included"], rooted["in_order"]) == (True, True)
    wrong = facts([hierarchy.leaf.cert, hierarchy.root.cert, hierarchy.intermediate.cert], anchors)
    assert (wrong["chain"]["root_included"], wrong["chain"]["in_order"]) == (True, False)
    assert wrong["verification"]["verified"] is True  # clients build the path from an unordered set


def test_an_unrelated_certificate_sent_along_is_named(hierarchy, anchors):
    stranger = make_root("Stranger CA").cert
    chain = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert, stranger], anchors)["chain"]
    assert chain["served"][-1]["role"] == "unrelated"
    assert len(chain["unrelated"]) == 1


def test_a_root_that_is_not_in_the_bundle(hierarchy):
    other = trust.TrustStore(path="other", source="given", certificates=[make_root("Other Root").cert])
    found = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert, hierarchy.root.cert], other)
    assert found["verification"]["chain_trusted"] is False
    assert "is not in the CA bundle" in found["verification"]["reason"]


def test_hostname_and_trust_are_judged_apart(hierarchy, anchors):
    found = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert], anchors, hostname="other.example.com")
    assert found["verification"]["verified"] is False
    assert found["verification"]["chain_trusted"] is True
    assert found["hostname_covered"] is False
    assert found["verification"]["reason"] == "the certificate does not cover other.example.com"


def test_days_left_lifetime_and_the_public_maximum(hierarchy, anchors):
    found = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert], anchors)["certificate"]
    assert found["days_left"] == pytest.approx(365, abs=0.01)
    assert found["lifetime_days"] == pytest.approx(395, abs=0.01)
    assert found["fraction_left"] == pytest.approx(365 / 395, abs=0.001)
    assert found["public_maximum_days"] == lifetime.maximum_lifetime_days(NOW - 30 * DAY)
    expired = facts([hierarchy.leaf.cert, hierarchy.intermediate.cert], anchors, moment=NOW + 400 * DAY)
    assert expired["certificate"]["expired"] is True
    assert expired["certificate"]["fraction_left"] == 0.0
    assert expired["verification"]["reason"].startswith("the server certificate expired on")
    assert expired["renewal"]["due"] is True


def test_renewal_follows_the_given_window(hierarchy, anchors):
    chain = [hierarchy.leaf.cert, hierarchy.intermediate.cert]
    assert facts(chain, anchors)["renewal"]["due"] is False
    assert facts(chain, anchors, renew_before_days=370)["renewal"]["due"] is True


def test_a_self_signed_certificate_outside_the_bundle(anchors):
    alone = make_leaf(None, "alone.example.com")
    found = facts([alone.cert], anchors, hostname="alone.example.com")
    assert found["chain"]["status"] == "self_signed"
    assert found["verification"]["reason"] == "self-signed certificate that the CA bundle does not hold"


def test_an_intermediate_in_the_bundle_completes_the_chain(hierarchy):
    anchors = trust.TrustStore(path="x", source="given", certificates=[hierarchy.intermediate.cert])
    assert facts([hierarchy.leaf.cert], anchors)["chain"]["status"] == "complete"


def test_nothing_sent_or_unreadable_is_an_error(anchors):
    with pytest.raises(ChainError, match="sent no certificate"):
        served.served_facts([], anchors, NOW)
    with pytest.raises(ChainError, match="cannot be read"):
        served.served_facts([b"not a certificate"], anchors, NOW)


def test_maximum_lifetimes_step_down_under_sc081():
    def at(text):
        return lifetime.maximum_lifetime_days(datetime.datetime.fromisoformat(text).replace(tzinfo=UTC))

    assert [at("2025-06-01"), at("2026-03-14"), at("2026-03-15"), at("2027-03-15"), at("2029-03-14")] == [
        398,
        398,
        200,
        100,
        100,
    ]
    assert at("2029-03-15") == 47
    assert lifetime.schedule()[-1] == {"from": "2029-03-15", "max_days": 47}


def test_the_trust_store_reads_a_bundle_and_refuses_what_is_not_one(tmp_path, hierarchy):
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"some text\n" + pem(hierarchy.root.cert) + pem(make_intermediate(hierarchy.root).cert))
    store = trust.load_trust_store(str(bundle))
    assert store.as_dict() == {"path": str(bundle), "source": "given", "certificates": 2}
    (tmp_path / "empty.pem").write_text("nothing here", encoding="ascii")
    with pytest.raises(ChainError, match="holds no certificate"):
        trust.load_trust_store(str(tmp_path / "empty.pem"))
    with pytest.raises(ChainError, match="cannot be read"):
        trust.load_trust_store(str(tmp_path / "missing.pem"))
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", encoding="ascii")
    with pytest.raises(ChainError, match="cannot be read"):
        trust.load_trust_store(str(broken))


def test_the_system_store_is_found_without_certifi():
    location = trust.system_ca_location()
    assert location is not None
    store = trust.load_trust_store()
    assert store.source == "system"
    assert len(store.certificates) > 10

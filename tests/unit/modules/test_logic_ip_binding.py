# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of appliance_ip_binding, without an appliance."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import ip_binding

LEAF, INTERMEDIATE, ROOT, OTHER = "aa:01", "bb:02", "cc:03", "dd:04"


def test_addresses_are_canonical_and_unique():
    assert ip_binding.normalize_addresses([" 127.0.0.2", "127.0.0.3", "127.0.0.2"]) == (["127.0.0.2", "127.0.0.3"], [])
    assert ip_binding.normalize_addresses(["127.0.0.2", "support.example.com"]) == (
        ["127.0.0.2"],
        ["support.example.com"],
    )


def test_present_adds_to_what_the_certificate_serves():
    plan = ip_binding.plan_bindings("present", ["127.0.0.2"], ["127.0.0.3"])
    assert plan == {"put": ["127.0.0.2", "127.0.0.3"], "delete": [], "bound_after": ["127.0.0.2", "127.0.0.3"]}


def test_present_with_everything_bound_sends_nothing():
    plan = ip_binding.plan_bindings("present", ["127.0.0.2", "127.0.0.3"], ["127.0.0.3"])
    assert plan["put"] is None and plan["delete"] == []


def test_exact_sends_exactly_the_addresses_named():
    plan = ip_binding.plan_bindings("exact", ["127.0.0.2"], ["127.0.0.4", "127.0.0.3"])
    assert plan["put"] == ["127.0.0.3", "127.0.0.4"] and plan["bound_after"] == ["127.0.0.3", "127.0.0.4"]
    assert ip_binding.plan_bindings("exact", ["127.0.0.3", "127.0.0.4"], ["127.0.0.4", "127.0.0.3"])["put"] is None
    assert ip_binding.plan_bindings("exact", ["127.0.0.2"], [])["put"] == []


def test_absent_deletes_only_what_the_certificate_serves():
    plan = ip_binding.plan_bindings("absent", ["127.0.0.2", "127.0.0.3"], ["127.0.0.3", "127.0.0.9"])
    assert plan == {"put": None, "delete": ["127.0.0.3"], "bound_after": ["127.0.0.2"]}
    assert ip_binding.plan_bindings("absent", ["127.0.0.2"], ["127.0.0.3"])["delete"] == []


def test_addresses_sort_numerically():
    plan = ip_binding.plan_bindings("exact", [], ["127.0.0.10", "127.0.0.9"])
    assert plan["put"] == ["127.0.0.9", "127.0.0.10"]


def test_predicted_bindings_move_and_release_addresses():
    served = {"127.0.0.2": "mine", "127.0.0.3": "other", "127.0.0.4": "default"}
    exact = ip_binding.plan_bindings("exact", ["127.0.0.2"], ["127.0.0.3"])
    assert ip_binding.predicted_served(served, "mine", "default", exact) == {
        "127.0.0.2": "default",
        "127.0.0.3": "mine",
        "127.0.0.4": "default",
    }
    absent = ip_binding.plan_bindings("absent", ["127.0.0.2"], ["127.0.0.2"])
    assert ip_binding.predicted_served(served, "mine", "default", absent)["127.0.0.2"] == "default"


@pytest.mark.parametrize(
    ("expected", "served", "root_may_be_absent"),
    [
        ([LEAF, INTERMEDIATE, ROOT], [LEAF, INTERMEDIATE], True),
        ([LEAF, INTERMEDIATE, ROOT], [LEAF, INTERMEDIATE, ROOT], True),
        ([LEAF], [LEAF], False),
        ([LEAF, INTERMEDIATE], [LEAF, INTERMEDIATE], False),
    ],
)
def test_the_bound_chain_matches(expected, served, root_may_be_absent):
    assert ip_binding.served_chain_matches(expected, served, root_may_be_absent)


@pytest.mark.parametrize(
    ("expected", "served", "root_may_be_absent"),
    [
        ([LEAF, INTERMEDIATE, ROOT], [OTHER, INTERMEDIATE], True),  # another leaf
        ([LEAF, INTERMEDIATE, ROOT], [LEAF, OTHER], True),  # another intermediate
        ([LEAF, INTERMEDIATE, ROOT], [LEAF], True),  # the intermediate left out
        ([LEAF, INTERMEDIATE], [LEAF], False),  # an incomplete chain has no root to leave out
        ([LEAF, INTERMEDIATE, ROOT], [INTERMEDIATE, LEAF], True),  # wrong order
        ([LEAF], [], False),
        ([], [LEAF], False),
    ],
)
def test_a_different_chain_does_not_match(expected, served, root_may_be_absent):
    assert not ip_binding.served_chain_matches(expected, served, root_may_be_absent)


def test_binding_view_names_the_certificate_without_anything_else():
    cert = {"id": "x", "friendly_name": "support", "sha256_fingerprint": LEAF, "key_id": "k", "factory_default": False}
    assert ip_binding.binding_view(cert) == {
        "certificate_id": "x",
        "friendly_name": "support",
        "sha256_fingerprint": LEAF,
        "factory_default": False,
    }
    assert ip_binding.binding_view(None) == {}

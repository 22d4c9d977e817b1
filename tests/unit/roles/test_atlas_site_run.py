# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a run reaches the whole Atlas site: the rule (``atlas.site_run``) and the filter that applies --limit.

A site of a primary and two traffic nodes, in an inventory that also holds a host of another site. A run that
reaches part of it (a --limit, or one slice of a sliced AWX job, whose inventory holds only part of the hosts)
must stop, naming what it lacks and what to do.
"""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.filter.atlas_site_run import atlas_site_run, hosts_in_run
from ansible_collections.bomgar.pki.plugins.module_utils import atlas

SITE = ["primary.example.com", "node1.example.com", "node2.example.com"]
GROUPS = {
    "all": [*SITE, "other.example.org"],
    "ungrouped": ["other.example.org"],
    "bomgar_site": SITE,
    "bomgar_primary": ["primary.example.com"],
    "bomgar_traffic_nodes": ["node1.example.com", "node2.example.com"],
}
FIX = (
    "A rollout changes the primary and every traffic node of a site together, so one run must reach the whole site: "
    "turn off job slicing for this job template (job slice count 1), and do not --limit a run to part of a site "
    "(limit it to the site group, for example --limit bomgar_site, or leave the site out entirely)."
)
UNCHANGED = "Nothing was changed on any appliance."


def run_of(limit=None, members=()) -> dict:
    return atlas_site_run(GROUPS["bomgar_site"], GROUPS, limit, primaries=GROUPS["bomgar_primary"], members=members)


def test_a_run_without_limit_reaches_the_whole_site():
    found = atlas.site_run(SITE, None, primaries=["primary.example.com"])
    assert found == {
        "complete": True,
        "members": SITE,
        "missing": [],
        "in_run": SITE,
        "undeclared": [],
        "message": "",
    }


def test_a_node_left_out_is_named_with_what_to_do():
    found = atlas.site_run(SITE, ["primary.example.com", "node1.example.com"], primaries=["primary.example.com"])
    assert not found["complete"]
    assert found["missing"] == ["node2.example.com"]
    assert found["message"] == " ".join(
        [
            "Not every appliance of the site (group bomgar_site) is in this run: node2.example.com left out by the "
            "limit (--limit). The run holds primary.example.com, node1.example.com.",
            FIX,
            UNCHANGED,
        ]
    )


def test_a_slice_without_the_other_hosts_knows_them_only_from_the_declared_members():
    # What one slice's inventory holds: the primary and node2; node1 went to another slice.
    sliced = ["primary.example.com", "node2.example.com"]
    undeclared = atlas.site_run(sliced, None, primaries=["primary.example.com"])
    assert undeclared["complete"], "without bomgar_site_members a slice cannot see what it lacks"
    declared = atlas.site_run(sliced, None, primaries=["primary.example.com"], members=SITE)
    assert not declared["complete"]
    assert declared["missing"] == ["node1.example.com"]
    assert (
        "node1.example.com not in this run's inventory (in another slice of a sliced job, or missing from the "
        "inventory). The run holds primary.example.com, node2.example.com." in declared["message"]
    )
    assert declared["message"].endswith(f"{FIX} {UNCHANGED}")


def test_traffic_nodes_without_their_primary_are_refused_even_without_declared_members():
    # A slice that holds only traffic nodes: the primary's group is empty in its inventory.
    found = atlas.site_run(["node1.example.com"], None, primaries=[])
    assert not found["complete"]
    assert found["missing"] == []
    assert found["message"].startswith(
        "No host of the group bomgar_primary (the site's primary) is in this run, or the inventory has none. "
    )
    assert FIX in found["message"]


def test_limit_and_slice_are_told_apart_and_the_primary_is_named_once():
    found = atlas.site_run(
        ["node1.example.com", "node2.example.com", "primary.example.com"],
        ["node1.example.com"],
        primaries=["primary.example.com"],
        members=[*SITE, "node3.example.com"],
    )
    assert found["missing"] == ["primary.example.com", "node2.example.com", "node3.example.com"]
    message = found["message"]
    assert (
        "primary.example.com, node2.example.com left out by the limit (--limit); node3.example.com not in this "
        "run's inventory" in message
    )
    assert "No host of the group" not in message


def test_declared_members_that_leave_out_a_host_of_the_site_group_are_reported():
    found = atlas.site_run(SITE, None, primaries=["primary.example.com"], members=SITE[:2])
    assert not found["complete"]
    assert found["undeclared"] == ["node2.example.com"]
    assert found["message"] == (
        "bomgar_site_members does not list node2.example.com, which the inventory puts in the group bomgar_site: "
        f"list every host of the site in bomgar_site_members. {UNCHANGED}"
    )


def test_group_names_in_the_message_are_the_roles_inputs():
    found = atlas.site_run(
        ["a", "b"], ["a"], primaries=["a"], site_group="eu_site", primary_group="eu_primary", members_variable="m"
    )
    assert "(group eu_site)" in found["message"]
    assert "--limit eu_site" in found["message"]


@pytest.mark.parametrize(
    ("limit", "in_run"),
    [
        (None, None),
        ("", None),
        ("all", None),
        ("bomgar_site", SITE),
        ("primary.example.com,node1.example.com", ["primary.example.com", "node1.example.com"]),
        ("bomgar_site:!node2.example.com", ["primary.example.com", "node1.example.com"]),
        ("node*", ["node1.example.com", "node2.example.com"]),
        ("bomgar_traffic_nodes:&node1*", ["node1.example.com"]),
        ("~^(primary|node2)", ["primary.example.com", "node2.example.com"]),
        ("other.example.org", ["other.example.org"]),
    ],
)
def test_the_limit_is_matched_as_ansible_playbook_matches_it(limit, in_run):
    found = hosts_in_run(GROUPS, limit)
    assert (None if found is None else sorted(found)) == (None if in_run is None else sorted(in_run))


def test_a_limit_from_a_file_is_read(tmp_path):
    limit_file = tmp_path / "retry"
    limit_file.write_text("primary.example.com\nnode2.example.com\n", encoding="utf-8")
    found = run_of(f"@{limit_file}")
    assert found["missing"] == ["node1.example.com"]


@pytest.mark.parametrize(
    ("limit", "complete"),
    [
        (None, True),
        ("bomgar_site", True),
        ("all:!other.example.org", True),
        ("primary.example.com", False),
        ("bomgar_traffic_nodes", False),
        ("bomgar_site:!node1.example.com", False),
    ],
)
def test_the_filter_applies_the_limit_to_the_site(limit, complete):
    assert run_of(limit)["complete"] is complete


def test_the_filter_refuses_what_it_cannot_use():
    with pytest.raises(AnsibleFilterError, match="the second argument must be groups"):
        atlas_site_run(SITE, ["bomgar_site"])
    with pytest.raises(AnsibleFilterError, match=re.escape("the site's members (bomgar_site_members) must be a list")):
        atlas_site_run(SITE, GROUPS, None, members={"primary.example.com": 1})

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules of the Atlas rollout in Python: the site, the pre-flight and the summary.

They were ported from the Jinja of the atlas_rollout role, which is their
specification: the messages below are the ones that Jinja gave for the same
site. The site is a primary and two traffic nodes; ``site()`` changes what the
inventory says of one of them, ``answers()`` what the appliances answered.
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.filter.atlas_rollout_report import atlas_rollout_report
from ansible_collections.bomgar.pki.plugins.filter.atlas_site_appliances import atlas_site_appliances
from ansible_collections.bomgar.pki.plugins.module_utils import atlas

SANS = ["DNS:support.example.com", "DNS:*.example.com"]
# Each appliance by name, without the site hostname.
NODE_SANS = ["DNS:appliance.example.com", "DNS:node1.example.com", "DNS:node2.example.com"]
SITE_HOSTNAME = "support.example.com"
FP_OLD = ":".join(["0a"] * 32)
FP_NEW = ":".join(["0b"] * 32)
FP_FACTORY = ":".join(["0f"] * 32)
UNREACHABLE_MSG = (
    "Cannot reach the appliance at https://127.0.0.1:1/appliance/api/v1: [Errno 111] Connection refused. "
    "Check appliance_url and that the appliance is up and reachable from the controller."
)
HEADER = "Pre-flight of the Atlas rollout failed; nothing was changed on any appliance."
NOT_COVERED_FIX = (
    "Add them to the subject alternative names (a wildcard such as *.example.com covers exactly one label), or "
    "correct bomgar_appliance_hostname or bomgar_site_hostname in the inventory."
)
UNREACHABLE_FIX = "Start the appliance, or correct its bomgar_appliance_url, bomgar_api_token and bomgar_ca_path."
ADDRESSES_FIX = "Correct bomgar_ip_addresses in the inventory, or add the addresses to the appliance."
NO_SANS = (
    "There are no subject alternative names to check: set certificate_subject_alt_name, or name a certificate of "
    "the primary in atlas_rollout_certificate."
)


def site(**changes) -> list:
    """The entries of a site: ``node1={"hostname": None}`` changes what the inventory says of node1."""
    entries = [
        {
            "host": "primary",
            "primary": True,
            "appliance_url": "https://127.0.0.1:9001",
            "api_token": "t0",
            "ca_path": None,
            "hostname": "appliance.example.com",
            "ip_addresses": ["127.0.1.2"],
        },
        {
            "host": "node1",
            "primary": False,
            "appliance_url": "https://127.0.0.1:9002",
            "api_token": "t1",
            "ca_path": None,
            "hostname": "node1.example.com",
            "ip_addresses": ["127.0.2.2"],
        },
        {
            "host": "node2",
            "primary": False,
            "appliance_url": "https://127.0.0.1:9003",
            "api_token": "t2",
            "ca_path": None,
            "hostname": "node2.example.com",
            "ip_addresses": ["127.0.3.2", "127.0.3.3"],
        },
    ]
    for entry in entries:
        entry.update(changes.get(entry["host"], {}))
    return entries


def answers(**changes) -> dict:
    """What each appliance answered: its status with the addresses it has; ``node1=UNREACHABLE`` fails one."""
    result = {
        "primary": {"failed": False, "status": {"ip_addresses": ["127.0.1.2"]}},
        "node1": {"failed": False, "status": {"ip_addresses": ["127.0.2.2"]}},
        "node2": {"failed": False, "status": {"ip_addresses": ["127.0.3.2", "127.0.3.3"]}},
    }
    result.update(changes)
    return result


UNREACHABLE = {"failed": True, "msg": UNREACHABLE_MSG}
MISSING_ONE = {"failed": False, "status": {"ip_addresses": ["127.0.3.2"]}}
MISSING_ALL = {"failed": False, "status": {"ip_addresses": []}}


def problems_of(entries, answered, sans=tuple(SANS), site_hostname=SITE_HOSTNAME, error=None, group="bomgar_primary"):
    found = atlas.preflight(
        entries,
        answered,
        site_hostname=site_hostname,
        subject_alt_name=sans,
        certificate_error=error,
        primary_group=group,
    )
    return found["problems"]


# --- the pre-flight: one problem of each kind --------------------------------------------------------------------

PREFLIGHT_CASES = [
    pytest.param(site(), answers(), SANS, None, [], id="nothing-wrong"),
    pytest.param(
        site(node2={"hostname": "node2.eu.example.com"}),
        answers(),
        SANS,
        None,
        [
            "Not covered by the subject alternative names [DNS:support.example.com, DNS:*.example.com]: "
            f"node2.eu.example.com (node2). {NOT_COVERED_FIX}"
        ],
        id="a-node-hostname-not-covered",
    ),
    pytest.param(
        site(),
        answers(),
        NODE_SANS,
        None,
        [
            f"Not covered by the subject alternative names [{', '.join(NODE_SANS)}]: "
            f"support.example.com (site hostname). {NOT_COVERED_FIX}"
        ],
        id="the-site-hostname-not-covered",
    ),
    pytest.param(
        site(node1={"hostname": "support.example.org"}),
        answers(),
        NODE_SANS,
        None,
        [
            f"Not covered by the subject alternative names [{', '.join(NODE_SANS)}]: support.example.org (node1), "
            f"support.example.com (site hostname). {NOT_COVERED_FIX}"
        ],
        id="several-names-in-the-order-of-the-site",
    ),
    pytest.param(
        site(node1={"hostname": "support.example.com"}),
        answers(),
        ["DNS:*.example.org"],
        None,
        [
            "Not covered by the subject alternative names [DNS:*.example.org]: appliance.example.com (primary), "
            "support.example.com (node1, site hostname), node2.example.com (node2). " + NOT_COVERED_FIX
        ],
        id="a-name-owned-by-a-node-and-the-site",
    ),
    pytest.param(
        site(),
        answers(node1=UNREACHABLE),
        SANS,
        None,
        [
            "Not reachable: node1 (https://127.0.0.1:9002): Cannot reach the appliance at "
            "https://127.0.0.1:1/appliance/api/v1: [Errno 111] Connection refused. Check appliance_url and that "
            f"the appliance is up and reachable from the controller. {UNREACHABLE_FIX}"
        ],
        id="an-appliance-not-reachable",
    ),
    pytest.param(
        site(node1={"appliance_url": None}),
        answers(node1={"failed": True, "msg": "No appliance_url for appliance node1. Set it.  "}),
        SANS,
        None,
        [
            "Not reachable: node1 (no bomgar_appliance_url): No appliance_url for appliance node1. Set it. "
            + UNREACHABLE_FIX
        ],
        id="an-appliance-without-url",
    ),
    pytest.param(
        site(),
        answers(node2=MISSING_ONE),
        SANS,
        None,
        [f"IP addresses the appliance does not have: node2 (127.0.3.3). {ADDRESSES_FIX}"],
        id="an-address-missing",
    ),
    pytest.param(
        site(node1={"hostname": None}),
        answers(),
        SANS,
        None,
        ["No bomgar_appliance_hostname in the inventory for: node1."],
        id="a-node-without-hostname",
    ),
    pytest.param(
        site(node1={"primary": True}),
        answers(),
        SANS,
        None,
        ["The group bomgar_primary must hold exactly one primary; it holds [primary, node1]."],
        id="two-primaries",
    ),
    pytest.param(
        site(primary={"primary": False}),
        answers(),
        SANS,
        None,
        ["The group bomgar_primary must hold exactly one primary; it holds []."],
        id="no-primary",
    ),
    pytest.param(
        site(),
        answers(),
        [],
        None,
        [NO_SANS],
        id="no-names-to-check",
    ),
    pytest.param(
        site(),
        answers(),
        [],
        "certificates entry 'x' matches no certificate or certificate request on the appliance.",
        [
            "The certificate to roll out cannot be read on the primary: certificates entry 'x' matches no "
            "certificate or certificate request on the appliance."
        ],
        id="the-certificate-cannot-be-read",
    ),
    pytest.param(
        site(),
        answers(primary=UNREACHABLE),
        None,
        None,
        [
            "Not reachable: primary (https://127.0.0.1:9001): Cannot reach the appliance at "
            "https://127.0.0.1:1/appliance/api/v1: [Errno 111] Connection refused. Check appliance_url and that "
            f"the appliance is up and reachable from the controller. {UNREACHABLE_FIX}"
        ],
        id="names-unknown-when-the-primary-does-not-answer",
    ),
]


@pytest.mark.parametrize(("entries", "answered", "sans", "error", "expected"), PREFLIGHT_CASES)
def test_each_problem_of_the_preflight(entries, answered, sans, error, expected):
    assert problems_of(entries, answered, sans=sans, error=error) == expected


# --- the pre-flight: problems together, in the order they are reported -----------------------------------------


def test_every_problem_at_once_in_order():
    entries = site(
        node1={"primary": True, "hostname": None},
        node2={"hostname": "node2.eu.example.com"},
    )
    answered = answers(primary=UNREACHABLE, node2=MISSING_ALL)

    problems = problems_of(entries, answered, group="site_primaries")

    assert [problem.split(":")[0] for problem in problems] == [
        "The group site_primaries must hold exactly one primary; it holds [primary, node1].",
        "Not covered by the subject alternative names [DNS",
        "No bomgar_appliance_hostname in the inventory for",
        "Not reachable",
        "IP addresses the appliance does not have",
    ]
    assert "node2.eu.example.com (node2)" in problems[1]
    assert problems[2] == "No bomgar_appliance_hostname in the inventory for: node1."
    assert problems[3].startswith("Not reachable: primary (https://127.0.0.1:9001): Cannot reach")
    assert problems[4] == f"IP addresses the appliance does not have: node2 (127.0.3.2, 127.0.3.3). {ADDRESSES_FIX}"
    assert atlas.preflight_message(problems) == " ".join([HEADER, *problems])


@pytest.mark.parametrize(
    ("changes", "answered", "kinds"),
    [
        ({"node1": {"hostname": "a.b.example.com"}}, answers(node2=UNREACHABLE), ["Not covered", "Not reachable"]),
        ({}, answers(node1=UNREACHABLE, node2=UNREACHABLE), ["Not reachable"]),
        ({"node2": {"hostname": None}}, answers(node1=MISSING_ONE), ["No bomgar_appliance_hostname", "IP addresses"]),
        ({"primary": {"primary": False}}, answers(node1=UNREACHABLE), ["The group", "Not reachable"]),
    ],
)
def test_problems_combine(changes, answered, kinds):
    problems = problems_of(site(**changes), answered)
    assert [next(kind for kind in kinds if problem.startswith(kind)) for problem in problems] == kinds


def test_several_unreachable_and_missing_are_listed_together():
    entries = site()
    answered = answers(
        primary={"failed": False, "status": {"ip_addresses": []}},
        node1={"failed": True, "msg": "refused."},
        node2={"failed": True, "msg": "timed out"},
    )
    problems = problems_of(entries, answered)
    assert problems == [
        "Not reachable: node1 (https://127.0.0.1:9002): refused; node2 (https://127.0.0.1:9003): timed out. "
        + UNREACHABLE_FIX,
        f"IP addresses the appliance does not have: primary (127.0.1.2). {ADDRESSES_FIX}",
    ]


def test_a_certificate_error_is_reported_instead_of_the_names():
    problems = problems_of(site(node1={"hostname": "x.example.org"}), answers(), sans=[], error="it is gone.")
    assert problems == ["The certificate to roll out cannot be read on the primary: it is gone."]


def test_an_unusable_name_is_a_problem_not_a_crash():
    problems = problems_of(site(), answers(), sans=["DNS:*.*.example.com"])
    assert len(problems) == 1
    assert problems[0].startswith("The subject alternative names [DNS:*.*.example.com] cannot be checked: ")


def test_what_the_preflight_returns_besides_the_problems():
    found = atlas.preflight(
        site(node2={"hostname": "node2.eu.example.com"}),
        answers(node1=UNREACHABLE, node2=MISSING_ONE),
        site_hostname=SITE_HOSTNAME,
        subject_alt_name=SANS,
    )
    assert found["hostnames"] == [
        "appliance.example.com",
        "node1.example.com",
        "node2.eu.example.com",
        "support.example.com",
    ]
    assert found["uncovered"] == ["node2.eu.example.com"]
    assert found["unreachable"] == {"node1": UNREACHABLE_MSG}
    assert found["missing_addresses"] == {"node2": ["127.0.3.3"]}
    assert found["without_hostname"] == []
    assert found["primaries"] == ["primary"]


@pytest.mark.parametrize(
    ("hostnames", "site_hostname", "expected"),
    [
        (
            ["a.example.com", "b.example.com"],
            "support.example.com",
            ["a.example.com", "b.example.com", "support.example.com"],
        ),
        (["a.example.com", "a.example.com"], "", ["a.example.com"]),
        (["support.example.com", None], "support.example.com", ["support.example.com"]),
        ([None, None], None, []),
    ],
)
def test_the_names_to_cover(hostnames, site_hostname, expected):
    entries = [{"host": f"h{index}", "hostname": name} for index, name in enumerate(hostnames)]
    assert atlas.site_hostnames(entries, site_hostname) == expected


def test_the_newest_server_certificate_is_the_one_to_roll_out():
    certificates = [
        {"id": "a", "role": "server", "not_before": "2026-01-01T00:00:00Z"},
        {"id": "b", "role": "root", "not_before": "2026-12-01T00:00:00Z"},
        {"id": "c", "role": "server", "not_before": "2026-03-01T00:00:00Z"},
        {"id": "d", "role": "server", "not_before": "2026-03-01T00:00:00Z"},
    ]
    assert atlas.newest_server_certificate(certificates)["id"] == "d"
    assert atlas.newest_server_certificate([certificates[1]]) == {}
    assert atlas.newest_server_certificate([]) == {}


# --- the site, from the inventory --------------------------------------------------------------------------------


class FakeHostVars(dict):
    """hostvars: each host's variables; reading one that a host has not raises KeyError, as Ansible's does."""


def test_the_site_entries_read_only_the_inventory_variables_they_need():
    hostvars = FakeHostVars(
        primary={
            "bomgar_appliance_url": "https://p",
            "bomgar_api_token": "tp",
            "bomgar_ca_path": "/ca.pem",
            "bomgar_appliance_hostname": "appliance.example.com",
            "bomgar_ip_addresses": ("127.0.1.2",),
            "certificate_local_ca_key_passphrase": "not read",
        },
        node1={
            "bomgar_appliance_url": "https://n1",
            "bomgar_transport": "web",
            "bomgar_username": "admin",
            "bomgar_password": "pw1",
        },
    )
    entries = atlas_site_appliances(["primary", "node1", "primary"], hostvars, ["primary"])
    assert entries == [
        {
            "host": "primary",
            "primary": True,
            "appliance_url": "https://p",
            "transport": None,
            "api_token": "tp",
            "username": None,
            "password": None,
            "ca_path": "/ca.pem",
            "hostname": "appliance.example.com",
            "ip_addresses": ["127.0.1.2"],
        },
        {
            "host": "node1",
            "primary": False,
            "appliance_url": "https://n1",
            "transport": "web",
            "api_token": None,
            "username": "admin",
            "password": "pw1",
            "ca_path": None,
            "hostname": None,
            "ip_addresses": [],
        },
    ]


def test_the_site_filter_refuses_what_it_cannot_use():
    with pytest.raises(AnsibleFilterError, match="not a host of the inventory"):
        atlas_site_appliances(["ghost"], FakeHostVars(), [])
    with pytest.raises(AnsibleFilterError, match="must be hostvars"):
        atlas_site_appliances(["primary"], ["primary"], [])
    with pytest.raises(AnsibleFilterError, match="list of inventory host names"):
        atlas_site_appliances({"primary": 1}, FakeHostVars(primary={}), [])


# --- the summary: one row of each result -------------------------------------------------------------------------

ROLLED_OUT = {"friendly_name": "support 2026", "sha256_fingerprint": FP_NEW}
NODE_IPS = ["127.0.2.2", "127.0.2.3"]


def view(fingerprint, name, factory_default=False, ident="c"):
    return {
        "certificate_id": ident,
        "friendly_name": name,
        "sha256_fingerprint": fingerprint,
        "factory_default": factory_default,
    }


def imported(changed=True, skipped=False, served=True):
    binding = (
        {"skipped": True}
        if skipped
        else {
            "changed": changed,
            "bindings": {
                "127.0.2.2": {"before": view(FP_OLD, "old"), "after": view(FP_NEW, "support 2026")},
                "127.0.2.3": {
                    "before": view(FP_FACTORY, "Factory Default", True),
                    "after": view(FP_NEW, "support 2026"),
                },
            }
            if changed
            else {},
            "served": {"127.0.2.2": [FP_NEW, "root"], "127.0.2.3": [FP_NEW, "root"]} if served else {},
        }
    )
    return {"changed": changed, "binding": binding}


FAILURE_AFTER_BINDING = {
    "task": "Import the certificate",
    "message": "What the IP addresses serve does not match what was bound: 127.0.2.2:1 refused.",
    "bindings": {"127.0.2.2": {"before": view(FP_OLD, "old", ident="o"), "after": view(FP_NEW, "support 2026")}},
    "ip_addresses": NODE_IPS,
}
FAILURE_BEFORE_BINDING = {
    "task": "Import the certificate",
    "message": "The appliance has no IP address 127.0.2.9.",
    "bindings": {},
    "ip_addresses": NODE_IPS,
}
SERVING_OLD = {
    "bindings": [
        {"address": "127.0.2.2", "sha256_fingerprint": FP_OLD, "friendly_name": "old"},
        {"address": "127.0.9.9", "sha256_fingerprint": FP_FACTORY, "friendly_name": "Factory Default"},
    ]
}
SERVING_NEW = {"bindings": [{"address": "127.0.2.2", "sha256_fingerprint": FP_NEW, "friendly_name": "support 2026"}]}
REBOUND = {"results": [{"changed": True, "item": {"key": "127.0.2.2"}}]}
NOT_REBOUND = {"results": [{"skipped": True, "item": {"key": "127.0.2.2"}}]}


def row(
    result, before="", before_name="", after="", after_name="", message="", node="node1", hostname="node1.example.com"
):
    return {
        "node": node,
        "hostname": hostname,
        "result": result,
        "before": before,
        "before_name": before_name,
        "after": after,
        "after_name": after_name,
        "message": message,
    }


ROW_CASES = [
    pytest.param(
        {"__atlas_rollout_import": imported()},
        ROLLED_OUT,
        False,
        row("changed", f"{FP_OLD}, {FP_FACTORY}", "old, Factory Default", FP_NEW, "support 2026"),
        id="changed",
    ),
    pytest.param(
        {"__atlas_rollout_import": imported(changed=False)},
        ROLLED_OUT,
        False,
        row("unchanged", "", "", FP_NEW, "support 2026"),
        id="unchanged",
    ),
    pytest.param(
        {"__atlas_rollout_import": imported(served=False)},
        ROLLED_OUT,
        False,
        row("changed", f"{FP_OLD}, {FP_FACTORY}", "old, Factory Default", FP_NEW, "support 2026"),
        id="changed-without-a-check-takes-what-was-bound",
    ),
    pytest.param(
        {"__atlas_rollout_import": imported(skipped=True)},
        ROLLED_OUT,
        True,
        row("would change", "", "", FP_NEW, "support 2026"),
        id="would-change-in-check-mode",
    ),
    pytest.param(
        {
            "__atlas_rollout_import": {"failed": True, "msg": "x"},
            "__atlas_rollout_failure": FAILURE_AFTER_BINDING,
            "__atlas_rollout_rollback": REBOUND,
            "__atlas_rollout_now": SERVING_OLD,
        },
        ROLLED_OUT,
        False,
        row("rolled back", FP_OLD, "old", FP_OLD, "old", f"Import the certificate: {FAILURE_AFTER_BINDING['message']}"),
        id="rolled-back",
    ),
    pytest.param(
        {
            "__atlas_rollout_failure": FAILURE_AFTER_BINDING,
            "__atlas_rollout_rollback": REBOUND,
            "__atlas_rollout_rollback_error": "The appliance refused the binding.",
            "__atlas_rollout_now": SERVING_NEW,
        },
        ROLLED_OUT,
        False,
        row(
            "rollback failed",
            FP_OLD,
            "old",
            FP_NEW,
            "support 2026",
            f"Import the certificate: {FAILURE_AFTER_BINDING['message']} "
            "Rollback failed: The appliance refused the binding.",
        ),
        id="rollback-failed",
    ),
    pytest.param(
        {
            "__atlas_rollout_failure": FAILURE_BEFORE_BINDING,
            "__atlas_rollout_rollback": {"results": [], "skipped": True},
            "__atlas_rollout_now": SERVING_OLD,
        },
        ROLLED_OUT,
        False,
        row(
            "failed", FP_OLD, "old", FP_OLD, "old", "Import the certificate: The appliance has no IP address 127.0.2.9."
        ),
        id="failed-before-anything-was-bound",
    ),
    pytest.param(
        {"__atlas_rollout_failure": FAILURE_AFTER_BINDING, "__atlas_rollout_rollback": NOT_REBOUND},
        ROLLED_OUT,
        False,
        row("failed", FP_OLD, "old", "", "", f"Import the certificate: {FAILURE_AFTER_BINDING['message']}"),
        id="failed-with-nothing-to-rebind-and-no-reading",
    ),
    pytest.param(
        {},
        ROLLED_OUT,
        False,
        row("not attempted", message="the rollout stopped before this node"),
        id="not-attempted-after-a-stop",
    ),
    pytest.param(
        {},
        {},
        True,
        row(
            "not attempted",
            message="check mode: the primary would get its certificate first; run without --check to roll it out",
        ),
        id="not-attempted-in-check-mode",
    ),
    pytest.param(
        {},
        {},
        False,
        row("not attempted", message="the primary had no certificate to roll out"),
        id="not-attempted-nothing-to-roll-out",
    ),
]


@pytest.mark.parametrize(("facts", "rolled_out", "check_mode", "expected"), ROW_CASES)
def test_each_result_of_a_node(facts, rolled_out, check_mode, expected):
    facts = {"bomgar_appliance_hostname": "node1.example.com", **copy.deepcopy(facts)}
    assert atlas.node_row("node1", facts, rolled_out, check_mode) == expected


def test_a_node_without_hostname_is_named_by_its_inventory_name():
    assert atlas.node_row("node9", {}, {}, False)["hostname"] == "node9"


# --- the summary: lines and failure ------------------------------------------------------------------------------


def facts_by_node():
    return {
        "node1": {"bomgar_appliance_hostname": "node1.example.com", "__atlas_rollout_import": imported()},
        "node2": {
            "bomgar_appliance_hostname": "node2.example.com",
            "__atlas_rollout_failure": FAILURE_AFTER_BINDING,
            "__atlas_rollout_rollback": REBOUND,
            "__atlas_rollout_now": SERVING_OLD,
        },
        "node3.example.com": {"bomgar_appliance_hostname": "node3.example.com"},
    }


def test_the_summary_lines_and_the_failure():
    facts = facts_by_node()
    primary = {
        "host": "primary",
        "hostname": "appliance.example.com",
        "certificate_result": {"action": "reissue", "previous_fingerprint": FP_OLD},
    }
    found = atlas.summary(["node1", "node2", "node3.example.com"], facts.get, ROLLED_OUT, primary=primary)

    assert [entry["result"] for entry in found["rows"]] == ["changed", "rolled back", "not attempted"]
    assert found["lines"] == [
        f"primary appliance.example.com (primary): reissue; before {FP_OLD}, after {FP_NEW}",
        f"certificate of the site: support 2026 {FP_NEW}",
        f"node1.example.com (node1): changed; before {FP_OLD}, {FP_FACTORY} old, Factory Default, after {FP_NEW} "
        "support 2026",
        f"node2.example.com (node2): rolled back; before {FP_OLD} old, after {FP_OLD} old; Import the certificate: "
        f"{FAILURE_AFTER_BINDING['message']}",
        "node3.example.com: not attempted; before -, after -; the rollout stopped before this node",
    ]
    assert found["failure"] == (
        "2 of 3 traffic node(s) do not serve the rolled-out certificate: node2 (rolled back), "
        "node3.example.com (not attempted). See the summary above; nodes that were rolled back serve what they "
        "served before."
    )


def test_no_primary_line_when_not_issuing_and_no_failure_when_every_node_took_it():
    facts = facts_by_node()
    found = atlas.summary(["node1"], facts.get, ROLLED_OUT)
    assert found["lines"][0] == f"certificate of the site: support 2026 {FP_NEW}"
    assert found["failure"] == ""


def test_nothing_rolled_out_never_fails_the_run():
    found = atlas.summary(
        ["node1", "node2"],
        lambda node: {},
        {},
        check_mode=False,
        primary={"host": "primary", "hostname": None, "certificate_result": {}},
    )
    assert found["lines"] == [
        "primary primary: ?; before -, after -",
        "node1: not attempted; before -, after -; the primary had no certificate to roll out",
        "node2: not attempted; before -, after -; the primary had no certificate to roll out",
    ]
    assert found["failure"] == ""


def test_a_primary_waiting_for_the_ca_says_what_to_do_and_never_done():
    primary = {
        "host": "primary",
        "hostname": "appliance.example.com",
        "certificate_result": {
            "action": "issue",
            "previous_fingerprint": None,
            "sha256_fingerprint": None,
            "waiting_for": "/srv/requests/support.example.com 20261205-101500.csr",
            "answer_to": "/srv/ca-answers",
        },
    }
    found = atlas.summary(["node1"], lambda node: {}, {}, primary=primary)
    assert found["lines"] == [
        "primary appliance.example.com (primary): issue not done, its request waits for the CA: hand "
        "/srv/requests/support.example.com 20261205-101500.csr to the CA, put the signed certificate and the CA's "
        "files into /srv/ca-answers, then run the rollout again to import it on the primary and roll it out",
        "node1: not attempted; before -, after -; the primary's certificate waits for the CA; the next run rolls it "
        "out",
    ]
    assert found["failure"] == ""
    assert not any("done" in line.lower().replace("not done", "") for line in found["lines"])


def test_the_report_filter_reads_only_the_recorded_variables_as_plain_data():
    class Lazy(dict):
        """A container of Ansible's kind: a dict subclass."""

    facts = facts_by_node()
    hostvars = FakeHostVars(
        {node: Lazy(values, bomgar_api_token="never read") for node, values in facts.items()}, primary=Lazy()
    )
    found = atlas_rollout_report(("node1", "node2", "ghost"), hostvars, Lazy(ROLLED_OUT), True, None)

    assert [entry["result"] for entry in found["rows"]] == ["changed", "rolled back", "not attempted"]
    assert found["rows"][0].__class__ is dict
    assert found["rows"][2]["hostname"] == "ghost"
    assert not any("never read" in line for line in found["lines"])
    with pytest.raises(AnsibleFilterError):
        atlas_rollout_report("node1", hostvars)
    with pytest.raises(AnsibleFilterError):
        atlas_rollout_report(["node1"], ["not hostvars"])


def test_plain_turns_subclasses_into_plain_values():
    class Text(str):
        pass

    class Number(int):
        pass

    value = atlas.plain({Text("a"): (Text("b"), Number(3), True, None, 1.5)})
    assert value == {"a": ["b", 3, True, None, 1.5]}
    assert next(iter(value)).__class__ is str and value["a"][0].__class__ is str and value["a"][1].__class__ is int


def test_a_certificate_the_primarys_own_acme_client_renews_is_refused():
    found = atlas.preflight(
        site(), answers(), site_hostname=SITE_HOSTNAME, subject_alt_name=SANS, renewed_by="appliance"
    )
    assert found["problems"] == [atlas.SELF_RENEWING_PRIMARY]
    assert "certificate_acme_mode controller" in atlas.SELF_RENEWING_PRIMARY
    assert atlas.preflight(site(), answers(), site_hostname=SITE_HOSTNAME, subject_alt_name=SANS)["problems"] == []

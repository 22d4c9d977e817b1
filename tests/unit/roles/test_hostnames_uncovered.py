# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter bomgar.pki.hostnames_uncovered: which hostnames a certificate's names leave out (RFC 6125)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.filter.hostnames_uncovered import FilterModule, hostnames_uncovered

SITE = ["DNS:support.example.com", "DNS:*.example.com"]


@pytest.mark.parametrize(
    ("hostnames", "sans", "uncovered"),
    [
        (["support.example.com", "node1.example.com"], SITE, []),
        # A wildcard covers exactly one label, in its place.
        (["a.node1.example.com", "example.com", "node1.example.com"], SITE, ["a.node1.example.com", "example.com"]),
        (["NODE2.Example.COM.", "node3.example.com"], ["DNS:*.example.com"], []),
        (["node1.example.org"], SITE, ["node1.example.org"]),
        (["127.0.2.2", "127.0.3.2"], ["IP:127.0.2.2", "DNS:*.example.com"], ["127.0.3.2"]),
        # A wildcard hostname is covered only by the same wildcard.
        (["*.example.com", "*.other.com"], SITE, ["*.other.com"]),
        (["support.example.com"], [], ["support.example.com"]),
        ([], SITE, []),
    ],
)
def test_reports_the_hostnames_the_names_do_not_cover_in_order(hostnames, sans, uncovered):
    assert hostnames_uncovered(hostnames, sans) == uncovered


def test_a_single_hostname_and_duplicates():
    assert hostnames_uncovered("a.b.example.com", SITE) == ["a.b.example.com"]
    assert hostnames_uncovered(["x.example.org", "x.example.org"], SITE) == ["x.example.org"]


@pytest.mark.parametrize(
    ("hostnames", "sans", "named"),
    [
        (["node1.example.com"], ["support.example.com"], "does not start with DNS: or IP:"),
        (["node1.example.com"], ["DNS:a.*.example.com"], "a.*.example.com"),
        (["node1.example.com"], {"DNS": "x"}, "subject_alt_name must be a list"),
        ([""], SITE, "is not a DNS name or IP address"),
        ([None], SITE, "is not a DNS name or IP address"),
        (["bad_name!.example.com"], SITE, "bad_name!.example.com"),
    ],
)
def test_bad_input_fails_naming_the_problem(hostnames, sans, named):
    with pytest.raises(AnsibleFilterError, match="hostnames_uncovered") as raised:
        hostnames_uncovered(hostnames, sans)
    assert named in str(raised.value)


def test_the_filter_is_exported_under_its_name():
    assert FilterModule().filters()["hostnames_uncovered"] is hostnames_uncovered

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.atlas_preflight through ansible-playbook against a fleet of reference appliances.

The site's entries come from the inventory through the atlas_site_appliances
filter; a site that is ready passes and says what the certificate must cover;
every problem is reported at once, after the sentence that says nothing was
changed; the timeout is the one given, per appliance; and the appliances are
left as they were.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from harness import api_state, connection_options, secrets_of

NAMES = ("primary", "node1", "node2")
SANS = ["DNS:support.example.com", "DNS:*.example.com"]
HEADER = "Pre-flight of the Atlas rollout failed; nothing was changed on any appliance."


@pytest.fixture
def fleet(fleet_factory):
    """A primary and two traffic nodes, by inventory name."""
    started = fleet_factory(3)
    return dict(zip(NAMES, started.appliances, strict=True))


def preflight_task(title: str, **args) -> dict:
    return {"name": title, "bomgar.pki.atlas_preflight": args, "run_once": True, "ignore_errors": True}


def entry(handle, name: str, transport: str, **overrides) -> dict:
    values = {
        "host": name,
        **connection_options(handle, transport),
        "hostname": handle.hostname,
        "ip_addresses": list(handle.ip_addresses),
        "primary": name == "primary",
    }
    values.update(overrides)
    return values


def no_answer(url: str, transport: str) -> str:
    """How an appliance that never answers is reported: the first request of the transport's read of it."""
    if transport == "api":
        return f"The appliance at {url}/appliance/api/v1 gave no complete answer to GET /appliance/api/v1/status/basics"
    return f"The appliance at {url} gave no complete answer to GET /appliance/login"


CREDENTIALS = {"api": "bomgar_api_token", "web": "bomgar_username, bomgar_password"}


@contextlib.contextmanager
def silent_listener():
    """A port on 127.0.0.1 that accepts connections and never answers; yields its URL."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"https://127.0.0.1:{server.getsockname()[1]}"


def test_a_site_that_is_ready_passes_with_what_the_certificate_must_cover(fleet, play, transport):
    appliances = "{{ ['primary', 'node1', 'node2'] | bomgar.pki.atlas_site_appliances(hostvars, ['primary']) }}"
    site_hostname = fleet["primary"].site_hostname
    tasks = [
        preflight_task("issuing", appliances=appliances, site_hostname=site_hostname, subject_alt_name=SANS),
        preflight_task("no names", appliances=appliances, site_hostname=site_hostname, subject_alt_name=[]),
    ]
    before = [api_state(handle) for handle in fleet.values()]

    run = play(fleet, tasks)

    assert run.rc == 0, run.stdout[-3000:]
    ready = run.result("issuing")
    assert not ready["failed"], ready.get("msg")
    assert ready["problems"] == [] and ready["changed"] is False
    assert ready["hostnames"] == [*(handle.hostname for handle in fleet.values()), site_hostname]
    assert ready["subject_alt_name"] == SANS and ready["source"] == {}
    assert set(ready["appliances"]) == set(NAMES)
    assert ready["appliances"]["node1"]["status"]["ip_addresses"] == fleet["node1"].ip_addresses
    no_names = run.result("no names")
    assert no_names["failed"] and no_names["msg"].startswith(HEADER + " There are no subject alternative names")
    for handle in fleet.values():
        for secret in secrets_of(handle):
            assert secret not in run.stdout + str(run.results)
    assert [api_state(handle) for handle in fleet.values()] == before


def test_every_problem_of_the_site_at_once(fleet, play, transport):
    site_hostname = fleet["primary"].site_hostname
    entries = [
        entry(fleet["primary"], "primary", transport),
        entry(fleet["node1"], "node1", transport, hostname="node1.eu.example.com", primary=True),
        entry(
            fleet["node2"], "node2", transport, hostname=None, ip_addresses=[*fleet["node2"].ip_addresses, "127.0.9.9"]
        ),
        {
            **connection_options(fleet["node2"], transport),
            "host": "node3",
            "appliance_url": "https://127.0.0.1:1",
            "hostname": "node3.example.com",
        },
    ]
    tasks = [preflight_task("everything wrong", appliances=entries, site_hostname=site_hostname, subject_alt_name=SANS)]

    run = play(fleet, tasks)

    found = run.result("everything wrong")
    assert found["failed"]
    problems = found["problems"]
    assert found["msg"] == " ".join([HEADER, *problems])
    assert problems[0] == "The group bomgar_primary must hold exactly one primary; it holds [primary, node1]."
    assert problems[1].startswith("Not covered by the subject alternative names [DNS:support.example.com, ")
    assert "node1.eu.example.com (node1)" in problems[1]
    assert problems[2] == "No bomgar_appliance_hostname in the inventory for: node2."
    assert problems[3].startswith("Not reachable: node3 (https://127.0.0.1:1): Cannot reach the appliance")
    assert problems[3].endswith(f"correct its bomgar_appliance_url, {CREDENTIALS[transport]} and bomgar_ca_path.")
    assert problems[4].startswith("IP addresses the appliance does not have: node2 (127.0.9.9).")
    assert len(problems) == 5
    assert found["failed_hosts"] == ["node3"]


def test_the_certificate_to_roll_out_is_read_on_the_primary(fleet, play, transport):
    entries = [entry(fleet["primary"], "primary", transport), entry(fleet["node1"], "node1", transport)]
    tasks = [
        preflight_task("the factory default", appliances=entries, certificate="Factory Default"),
        preflight_task("unknown", appliances=entries, certificate="support.example.org"),
    ]

    run = play(fleet, tasks)

    factory = run.result("the factory default")
    # The factory default is the primary's server certificate; it covers none of the appliances' names.
    assert factory["failed"] and factory["source"]["friendly_name"] == "Factory Default"
    assert factory["problems"][0].startswith("Not covered by the subject alternative names")
    unknown = run.result("unknown")
    assert unknown["failed"] and unknown["source"] == {}
    assert unknown["problems"] == [
        "The certificate to roll out cannot be read on the primary: certificates entry 'support.example.org' "
        "matches no certificate or certificate request on the appliance (by friendly name, SHA-256 fingerprint "
        f"or id). {unknown['problems'][0].split('or id). ', 1)[1]}"
    ]
    assert "Certificates there: 'Factory Default'" in unknown["problems"][0]


def test_the_timeout_is_the_one_given_per_appliance(fleet, play, transport):
    with silent_listener() as silent, silent_listener() as slower:
        entries = [
            # The primary answers, within a timeout of its own (a read over web is several pages).
            entry(fleet["primary"], "primary", transport, timeout=15),
            entry(fleet["node1"], "node1", transport, appliance_url=silent),
            entry(fleet["node2"], "node2", transport, appliance_url=slower, timeout=1),
        ]
        tasks = [preflight_task("silent", appliances=entries, subject_alt_name=SANS, timeout=0.5)]
        started = time.monotonic()
        run = play(fleet, tasks)
        elapsed = time.monotonic() - started

    found = run.result("silent")
    assert found["failed"] and found["failed_hosts"] == ["node1", "node2"]
    whole = "(timeout, for the whole read of this appliance)"
    assert f"node1 ({silent}): {no_answer(silent, transport)} within 0.5 s {whole}" in found["msg"]
    assert f"node2 ({slower}): {no_answer(slower, transport)} within 1 s {whole}" in found["msg"]
    # Each appliance is given up on at its own timeout, side by side: far less than the default of 15 s.
    assert elapsed < 40, elapsed


class FrozenNode:
    """A node that accepts connections and never answers, noting when each connection came and when it went."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.url = f"https://127.0.0.1:{self.server.getsockname()[1]}"
        self.connections: list[list[float]] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        with contextlib.suppress(OSError):
            while True:
                conn, _peer = self.server.accept()
                times = [time.monotonic()]
                self.connections.append(times)
                threading.Thread(target=self._hold, args=(conn, times), daemon=True).start()

    @staticmethod
    def _hold(conn, times):
        with conn, contextlib.suppress(OSError):
            while conn.recv(4096):
                pass
        times.append(time.monotonic())

    def close(self):
        self.server.close()


def test_a_frozen_node_is_given_up_on_at_its_timeout_retries_included(fleet, play, transport):
    frozen = FrozenNode()
    try:
        entries = [
            entry(fleet["primary"], "primary", transport),
            entry(fleet["node1"], "node1", transport, appliance_url=frozen.url),
        ]
        run = play(fleet, [preflight_task("frozen", appliances=entries, subject_alt_name=SANS, timeout=3)])
    finally:
        frozen.close()
    found = run.result("frozen")
    assert found["failed"] and found["failed_hosts"] == ["node1"]
    assert f"{no_answer(frozen.url, transport)} within 3 s" in found["msg"]
    assert all(len(times) == 2 for times in frozen.connections), "every connection to the node was closed"
    # From the first connection to the last one closed: the timeout, not four times it plus the backoff (15.5 s).
    span = frozen.connections[-1][1] - frozen.connections[0][0]
    assert span < 3 + 2, (span, len(frozen.connections))

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/support_bundle.yml (role bomgar.pki.support_bundle) against a reference appliance."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile

from harness import ANSIBLE_PLAYBOOK, COLLECTIONS_ROOT, ROOT

PLAYBOOK = ROOT / "playbooks" / "support_bundle.yml"
CERTIFICATE = "support.example.com lab"


def run_playbook(workdir, inventory_path, extra_vars: dict) -> subprocess.CompletedProcess:
    """ansible-playbook as a user runs it, from ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    vars_file = workdir / "vars.json"
    vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_NOCOLOR="1")
    environment["ANSIBLE_LOCAL_TEMP"] = str(workdir / "tmp")
    return subprocess.run(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory_path), str(PLAYBOOK), "-e", f"@{vars_file}"],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_writes_the_bundle_says_what_to_send_and_changes_nothing_the_second_time(
    fleet_factory, play, tmp_path, transport
):
    fleet = fleet_factory(1)
    created = play(
        {"primary": fleet.primary},
        [
            {
                "name": "Self-signed certificate",
                "bomgar.pki.appliance_csr": {
                    "friendly_name": CERTIFICATE,
                    "common_name": "Example Support",
                    "subject_alt_name": ["DNS:support.example.com"],
                    "self_signed": True,
                },
            }
        ],
    )
    assert created.rc == 0, created.stdout[-2000:]
    # The fleet's inventory gives both the API token and the web admin login: over either transport the role reads
    # the Status :: Basics page for the screenshot.
    extra = {
        "support_bundle_certificate": CERTIFICATE,
        "support_bundle_incident": "01234567",
        "bomgar_transport": transport,
    }

    first = run_playbook(tmp_path / "run", fleet.inventory_path, extra)

    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    bundle = tmp_path / "run" / "bundles" / "appliance.example.com-support-bundle.zip"
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(members) == [
        "certificate.pem",
        "manifest.json",
        "status-basics.json",
        "status-basics.png",
        "status-basics.txt",
    ]
    assert members["status-basics.png"].startswith(b"\x89PNG")
    assert not any(b"PRIVATE KEY" in content for content in members.values())
    # A self-signed root is not one the appliance software trusts: the vendor must build new software.
    assert f"Send {bundle} to the vendor under incident 01234567" in first.stdout
    assert "must build new software" in first.stdout

    second = run_playbook(tmp_path / "run", fleet.inventory_path, extra)

    assert second.returncode == 0
    assert re.search(r"appliance\.example\.com\s+:\s+ok=\d+\s+changed=0\s", second.stdout), second.stdout[-2000:]
    for secret in (fleet.primary.password, fleet.primary.token):
        assert secret not in first.stdout + first.stderr + second.stdout + second.stderr

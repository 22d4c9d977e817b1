# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``make demo PROVIDER=acme``: scripts/demo.py with Pebble as the site's CA, twice from a clean folder.

The first run orders the site certificate from Pebble (controller mode, DNS-01 through pebble-challtestsrv) and
rolls it out; the second, with a new Pebble (new roots), changes nothing. Both end with openssl verifying, against
the Pebble root the primary was given, the chain every address serves.
"""

from __future__ import annotations

import re
import subprocess
import sys

from harness import ROOT

DEMO = ROOT / "scripts" / "demo.py"
ADDRESSES = ("127.0.1.2", "127.0.2.2", "127.0.3.2")
TIMEOUT = 600


def run_demo(workdir) -> str:
    argv = [sys.executable, str(DEMO), "--provider", "acme", "--workdir", str(workdir)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)


VERIFIED = re.compile(r"-connect (\S+):\d+ .*-CAfile \S*pebble-roots\.pem .*\n\s+-> Verify return code: 0 \(ok\)")


def verified_addresses(output: str) -> set:
    """The addresses whose served chain openssl verified against the kept Pebble roots, in the summary."""
    return set(VERIFIED.findall(output))


def test_the_acme_demo_issues_from_pebble_then_changes_nothing(tmp_path):
    first = run_demo(tmp_path / "demo")
    assert "yes (issue): Pebble's root is imported into the primary" in first
    assert first.count("(issuer Pebble Intermediate CA ") == len(ADDRESSES), first[-3000:]
    assert verified_addresses(first) == set(ADDRESSES), first[-3000:]
    assert "== Stopped Pebble and pebble-challtestsrv" in first

    second = run_demo(tmp_path / "demo")
    assert "no: the certificate stays" in second
    recap = re.findall(r"^\S+\s+: ok=\d+\s+changed=(\d+)", second, re.M)
    assert len(recap) == 4 and set(recap) == {"0"}, second[-3000:]
    assert "nothing changed: every appliance already serves the certificate the spec asks for" in second
    assert verified_addresses(second) == set(ADDRESSES), second[-3000:]

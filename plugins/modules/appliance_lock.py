#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_lock
short_description: Take or give back the run lock of a Bomgar appliance, so that one run at a time changes it
version_added: 0.1.0
description:
  - Takes the lock O(name) on the appliance for the run O(holder), with a lease of O(lease) seconds; the same holder
    taking it again renews the lease.
  - When another run holds the lock, waits up to O(wait) seconds for it, then fails naming the run that holds it,
    since when and until when its lease lasts; nothing is changed.
  - A lock whose lease has ended (a run that was killed or lost its controller) is taken over, with a warning that
    names the run it belonged to.
  - The lock lives on the appliance, not on the controller, because runs come from different CI jobs, AWX nodes
    and people. The C(bomgar.pki.certificate) role takes it on each appliance it changes, and
    C(bomgar.pki.atlas_rollout) on the primary for a whole site.
  - A lock lasts one run, so the task never reports a change; in check mode the lock is read, not taken, and a
    lock held by another run is a warning.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
attributes:
  check_mode:
    description: In check mode the lock is read, not taken; another run's lock is a warning.
    support: full
  diff_mode:
    description: A lock lasts one run; there is no state to show as a difference.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
  action_group:
    description: Use C(group/bomgar.pki.appliance) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - bomgar.pki.appliance
options:
  name:
    description: Name of the lock; C(certificates) is the one the collection's roles use.
    type: str
    default: certificates
  holder:
    description:
      - Who takes (or gives back) the lock, in words a person who finds it can trace, such as
        C(alice@controller run 3f9c). One line of up to 200 printable characters.
    type: str
    required: true
  state:
    description: V(present) takes or renews the lock; V(absent) gives it back.
    type: str
    choices: [present, absent]
    default: present
  lease:
    description: Seconds the lock lasts unless renewed, from 10 to 86400.
    type: int
    default: 1800
  wait:
    description: Seconds to wait for another run's lock before failing; V(0) fails at once.
    type: float
    default: 0
  force:
    description:
      - With O(state=absent), remove the lock whoever holds it. Only for a run that is known to be gone; otherwise
        wait for its lease to end.
    type: bool
    default: false
notes:
  - "Over O(transport=web) no page holds a lock: the lock is a marker certificate request named
    C(bomgar.pki lock <name> <holder> until <UTC time>), with the same rules (lease, renewal by the same holder,
    takeover after the lease, O(force)). Its time is the appliance's clock (the Date of its answers). A marker
    name is at most 128 characters, so a holder of more than about 70 characters is refused over the web."
seealso:
  - module: bomgar.pki.certificate_plan
"""

EXAMPLES = r"""
- name: Take the appliance's lock for this run, waiting up to five minutes for another run
  bomgar.pki.appliance_lock:
    holder: "{{ lookup('ansible.builtin.env', 'USER') }} job {{ lookup('ansible.builtin.env', 'CI_JOB_ID') }}"
    wait: 300

- name: Remove the lock of a CI job that was cancelled
  bomgar.pki.appliance_lock:
    holder: admin
    state: absent
    force: true
"""

RETURN = r"""
lock:
  description:
    - The lock as the appliance holds it after the task (empty after V(absent)).
    - C(renewed) is V(true) when this holder had it already; C(taken_over_from) names the run whose lease had
      ended; C(waited) is the seconds waited for C(waited_for), the run that held it when the task started.
  returned: always
  type: dict
  sample:
    name: certificates
    holder: alice@controller run 3f9c
    acquired_at: "2026-12-05T10:15:00Z"
    renewed_at: "2026-12-05T10:15:00Z"
    expires_at: "2026-12-05T10:45:00Z"
    expired: false
    renewed: false
    taken_over_from: null
    waited: 0
    waited_for: null
released:
  description: With O(state=absent), the lock that was given back, or V(null) when there was none.
  returned: when O(state=absent)
  type: dict
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.lock import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()

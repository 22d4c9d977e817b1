#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_report
short_description: Write the certificate report of a fleet as HTML, JSON, Prometheus metrics and Markdown
version_added: 0.1.0
description:
  - Writes, on the controller, what M(bomgar.pki.served_certificate_info) found, into the directory O(dest).
  - "C(report.html): one self-contained page (inline style and SVG, nothing fetched, readable without script):
    the problems first, a validity timeline with the renewal windows and the maximum lifetimes of CA/Browser Forum
    ballot SC-081, a table per site, every certificate in detail."
  - "C(report.json): the same data, as the JSON Schema C(docs/report.schema.json) of the collection describes it."
  - "C(report.prom): gauges in the Prometheus text format, for node_exporter's textfile collector."
  - "C(report.md): the problems and a compact table, for the summary of a CI job."
  - The files are rewritten only when what they show changes. Days left move with the clock, so the report keeps
    a digest of everything else (whole days left count); while it is the same, the files stay as they are, with the
    time they were written at, and the task reports no change.
author:
  - bomgar.pki maintainers (@bomgar-pki)
attributes:
  check_mode:
    description: Writes nothing; says whether and where it would write.
    support: full
  diff_mode:
    description: The time, digest, counts by status and files of the report before and after.
    support: full
  action:
    description: Runs on the controller as an action plugin.
    support: full
options:
  info:
    description:
      - The registered result of M(bomgar.pki.served_certificate_info) (its C(as_of), C(ca_bundle) and C(hosts)).
    type: dict
    required: true
  dest:
    description:
      - The directory the report is written to; created when missing.
      - A relative path is relative to the current directory of C(ansible-playbook).
    type: path
    default: certificate-report
  title:
    description: The title of the report.
    type: str
    default: Certificate report
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [html, json, prom, md]
    default: [html, json, prom, md]
seealso:
  - module: bomgar.pki.served_certificate_info
"""

EXAMPLES = r"""
- name: What every host of the inventory serves
  bomgar.pki.served_certificate_info:
    hosts: "{{ groups['all'] | bomgar.pki.served_certificate_hosts(hostvars) }}"
  run_once: true
  register: served

- name: Write the report
  bomgar.pki.certificate_report:
    info: "{{ served }}"
    dest: /var/www/certificates
  run_once: true
  register: report

- name: Counts by status
  ansible.builtin.debug:
    msg: "{{ report.summary }}"
  run_once: true
"""

RETURN = r"""
dest:
  description: The absolute path of the report directory.
  returned: always
  type: str
  sample: /home/ops/certificate-report
files:
  description: The path of each file of the report, by format.
  returned: always
  type: dict
  sample: {"html": "/home/ops/certificate-report/report.html"}
written:
  description: The files written by this run (none in check mode or when the report is up to date).
  returned: always
  type: list
  elements: str
as_of:
  description: The time the report in the files was taken at (an earlier run's, when the files are kept).
  returned: always
  type: str
  sample: "2026-12-05T12:00:00Z"
digest:
  description: SHA-256 of what the report shows, leaving out what only moves with the clock.
  returned: always
  type: str
counts:
  description: Endpoints by status.
  returned: always
  type: dict
  sample: {"expired": 0, "unreachable": 0, "invalid": 1, "renewal_due": 0, "warning": 0, "ok": 5}
totals:
  description: How many hosts, endpoints and problems the report has.
  returned: always
  type: dict
problems:
  description: How many problems the report lists.
  returned: always
  type: int
summary:
  description: The summary to print at the end of a run (counts by status, the first problems, where the files are).
  returned: always
  type: list
  elements: str
msg:
  description: What was done.
  returned: always
  type: str
  sample: wrote the report to /home/ops/certificate-report
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_report import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()

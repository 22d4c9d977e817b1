#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_plan
short_description: Read a fleet of Bomgar appliances at once and plan the certificate of each
version_added: 0.1.0
description:
  - The decision step of the bomgar.pki.certificate role for every appliance of a play in one task, meant to
    run with C(run_once). Read-only.
  - The appliances are read side by side on a pool of O(workers) threads. For each one the module checks that its
    variables fit together, reads its local CA (O(appliances[].provider=local_ca)), reads the appliance
    (certificates, requests, keys, bindings and Status > Basics, as M(bomgar.pki.appliance_certificate_info) does)
    and decides what to do and why, as the P(bomgar.pki.certificate_decision#filter) filter does.
  - For a certificate that stays, it also checks that the appliance binds it to exactly
    O(appliances[].ip_addresses) and, outside check mode, that each address serves it with its chain over TLS;
    when not, RV(appliances.rebind) says why, and the role binds the addresses again with
    M(bomgar.pki.appliance_ip_binding).
  - One appliance's failure (an unreachable appliance, variables that do not fit together, an unreadable local CA)
    is reported in its own entry (RV(appliances.failed), RV(appliances.msg)); the task itself does not fail, so
    that the role fails exactly the appliances concerned.
author:
  - bomgar.pki maintainers (@bomgar-pki)
attributes:
  check_mode:
    description: Reads only, in check mode as outside it; a local CA still to be created is predicted.
    support: full
  diff_mode:
    description: Reads only; there is nothing to show as a difference.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
options:
  appliances:
    description:
      - One entry per appliance. The certificate options are the variables of the bomgar.pki.certificate role
        without their C(certificate_) prefix and mean the same.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Inventory name of the appliance; the key of its entry in RV(appliances).
        type: str
        required: true
      appliance_url:
        description:
          - Base URL of the appliance's Appliance Certificate API, for example C(https://appliance.example.com).
          - HTTPS only; C(http://), another scheme or a port outside 1 to 65535 fails this appliance's entry
            before anything is sent to it.
          - If not set, the environment variable E(BOMGAR_APPLIANCE_URL) is used.
        type: str
      api_token:
        description:
          - Bearer token of the appliance's API. Never logged or returned.
          - Visible ASCII characters only; a token with a line break (as C(echo TOKEN | ansible-vault encrypt_string)
            leaves) or another invisible character fails this appliance's entry before anything is sent to it.
          - If not set, the environment variable E(BOMGAR_API_TOKEN) is used.
        type: str
      transport:
        description:
          - V(api) (the default) speaks the Appliance Certificate API with O(appliances[].api_token); V(web) drives the
            appliance's /appliance web interface with O(appliances[].username) and O(appliances[].password), with
            the same results.
          - If not set, the environment variable E(BOMGAR_TRANSPORT) is used.
        type: str
      username:
        description:
          - Admin username of the appliance's /appliance web interface, for O(appliances[].transport=web).
          - If not set, the environment variable E(BOMGAR_USERNAME) is used.
        type: str
      password:
        description:
          - Password of O(appliances[].username). Never logged or returned.
          - If not set, the environment variable E(BOMGAR_PASSWORD) is used.
        type: str
      web_snapshot_dir:
        description:
          - Folder for the snapshot of a page that differs from what the web transport looks for (default
            C(bomgar-web-snapshots) under the directory ansible-playbook runs in).
        type: path
      ca_path:
        description:
          - PEM file of the CA that signed the appliance's API certificate.
          - If not set, the environment variable E(BOMGAR_CA_PATH) is used, then the system trust store.
        type: path
      validate_certs:
        description: Verify the TLS certificate of the appliance's API. Only set to V(false) in a lab.
        type: bool
        default: true
      timeout:
        description:
          - Seconds, more than 0, within which each request to the appliance's API must have its complete answer,
            retries included (a deadline, not a limit per read).
        type: float
        default: 30
      name:
        description:
          - Base friendly name of the certificate; the newest server certificate of this name is the current one.
        type: str
        required: true
      subject:
        description: Subject fields (C(common_name), C(country_name), C(organization_name), ...).
        type: dict
        default: {}
      subject_alt_name:
        description: Subject alternative names, V(DNS:...) or V(IP:...); the first one is the site hostname.
        type: list
        elements: str
        required: true
      key_type:
        description: Type of the certificate's key.
        type: str
        choices: [rsa, ec]
        default: rsa
      key_size:
        description: Size of an RSA key.
        type: int
        choices: [2048, 3072, 4096]
        default: 2048
      key_curve:
        description: Curve of an EC key.
        type: str
        choices: [P-256, P-384]
        default: P-256
      provider:
        description: Who signs a new certificate.
        type: str
        choices: [self_signed, local_ca, manual, acme]
        default: self_signed
      days:
        description: Days of validity of a new certificate (for the plan's text).
        type: int
        default: 397
      local_ca_cert:
        description: Certificate file of the local CA on the controller (O(appliances[].provider=local_ca)).
        type: path
      local_ca_key:
        description: Key file of the local CA on the controller.
        type: path
      local_ca_key_passphrase:
        description: Passphrase of O(appliances[].local_ca_key). Never logged or returned.
        type: str
      local_ca_create:
        description: The local CA is created when missing; in check mode its root is then not known yet.
        type: bool
        default: false
      local_ca_common_name:
        description: Common name of a local CA that is created.
        type: str
      manual_request_dir:
        description: Where the manual provider writes the request for the CA.
        type: path
      manual_drop_dir:
        description: Where the manual provider finds the signed certificate and the CA's files.
        type: path
      acme_mode:
        description:
          - For O(appliances[].provider=acme), who orders. V(controller) (DNS-01, with community.crypto on the
            controller; the plan fails the appliance when that collection is missing) or V(appliance) (its own ACME
            client, HTTP-01; wildcards and O(appliances[].rekey) are refused).
        type: str
        choices: [controller, appliance]
        default: controller
      acme_directory:
        description:
          - The ACME CA's directory URL (C(https://)); required with O(appliances[].provider=acme). For a
            certificate of the controller mode, the plan reads the CA's renewal information (ARI) through it.
        type: str
      acme_account_key_src:
        description: PEM file of the ACME account key on the controller (controller mode).
        type: path
      acme_account_key_content:
        description: The ACME account key as PEM text (controller mode). Never logged or returned.
        type: str
      acme_contact:
        description: Contacts of the ACME account (e-mail addresses or C(mailto:) URIs).
        type: list
        elements: str
        default: []
      acme_ca_path:
        description: PEM file of the CA that signs the ACME directory's HTTPS certificate, besides the system's CAs.
        type: path
      acme_dns_tasks:
        description: The user's task file that sets and removes the TXT records of DNS-01 (controller mode).
        type: path
      acme_wait_timeout:
        description: Seconds the CA may take to check the names and issue (for the plan's text and its checks).
        type: int
        default: 300
      acme_eab_key_id:
        description: Key id of the external account binding.
        type: str
      acme_eab_hmac:
        description: HMAC key of the external account binding (base64url). Never logged or returned.
        type: str
      ip_addresses:
        description:
          - The appliance's IP addresses that serve the certificate; the plan fails naming the variable when none
            are given.
        type: list
        elements: str
      hostnames:
        description:
          - Names TLS clients use; the first is sent as the server name when an address is checked.
          - When not given, the DNS names of O(appliances[].subject_alt_name) that are not wildcards.
        type: list
        elements: str
      site_port:
        description: TLS port of the site; defaults to the one the appliance reports, else V(443).
        type: int
      renew_before_days:
        description:
          - Renewal is due this many days before expiry.
          - Mutually exclusive with O(appliances[].renew_before_percent).
        type: int
      renew_before_percent:
        description: Renewal is due when this percentage of the lifetime is left.
        type: float
      rekey:
        description: Reissue with a new key.
        type: bool
        default: false
      force:
        description: Reissue now.
        type: bool
        default: false
      keep_previous:
        description: How many earlier certificates of this name to keep after a new one is bound.
        type: int
        default: 1
      support_bundle_dir:
        description: Where the role writes a support bundle for the vendor (for the plan's text).
        type: path
      now:
        description: The time to decide at (ISO 8601); defaults to now.
        type: str
  lock_holder:
    description:
      - Take the run lock C(certificates) on each appliance for this holder before it is read, so that one run at
        a time changes an appliance (see M(bomgar.pki.appliance_lock)). Not taken in check mode, where a lock
        another run holds is a warning.
      - An appliance whose lock another run holds waits up to O(lock_wait), then fails in its own entry, naming
        that run. Where nothing is to be done (and for an appliance that fails), the lock is given back at once;
        RV(appliances.lock) says which locks the caller gives back when it is done.
      - Without it, no lock is taken.
    type: str
  lock_wait:
    description: Seconds to wait for another run's lock on an appliance; V(0) fails that appliance at once.
    type: float
    default: 0
  lock_lease:
    description: Seconds the run lock lasts unless renewed (10 to 86400).
    type: int
    default: 1800
  variable_prefix:
    description:
      - Prefix of the names the messages use for the certificate options, V(certificate_) in the role, so that a
        message names the variable the user sets.
    type: str
    default: ""
  workers:
    description: How many appliances are read at the same time.
    type: int
    default: 16
notes:
  - The bomgar.pki.certificate role runs this module once per batch of the play, with the variables of every host
    that runs the role; it is not part of the C(bomgar.pki.appliance) action group, because the connection differs
    from appliance to appliance.
  - The result carries C(invocation) (the validated arguments, every appliance's variables) only at C(-vvv), since
    the registered result is read by every appliance's tasks and each entry of RV(appliances) holds that
    appliance's plan already.
seealso:
  - module: bomgar.pki.appliance_certificate_info
  - module: bomgar.pki.appliance_ip_binding
"""

EXAMPLES = r"""
- name: Plan the certificate of every appliance of the play, once
  bomgar.pki.certificate_plan:
    appliances:
      - host: appliance1.example.com
        appliance_url: https://appliance1.example.com
        api_token: "{{ vault_appliance1_token }}"
        name: support.example.com
        subject:
          common_name: Example Support
          country_name: US
        subject_alt_name: [DNS:support.example.com]
        ip_addresses: [192.0.2.10]
        hostnames: [support.example.com]
  run_once: true
  register: fleet_plan

- name: What each appliance would do, and why
  ansible.builtin.debug:
    msg: "{{ fleet_plan.appliances[inventory_hostname].lines }}"
  when: inventory_hostname in fleet_plan.appliances
"""

RETURN = r"""
appliances:
  description:
    - Per appliance (by O(appliances[].host)), its plan. The keys of the decision are those of the
      P(bomgar.pki.certificate_decision#filter) filter.
  returned: always
  type: dict
  contains:
    failed:
      description: Whether planning this appliance failed; RV(appliances.msg) says why and what to do.
      returned: always
      type: bool
      sample: false
    msg:
      description: Why planning failed.
      returned: when RV(appliances.failed) is true
      type: str
      sample: "certificate_ip_addresses is empty; give the addresses of the appliance that serve the certificate."
    action:
      description: V(issue), V(reissue), V(renew) or V(none).
      returned: success
      type: str
      sample: none
    reasons:
      description: Why, in words.
      returned: success
      type: list
      elements: str
      sample: ["nothing to do: 'support.example.com 20261129-101500' matches the spec (RSA 2048, 2 alternative names)"]
    current:
      description: The current certificate as the appliance's API returns it, or null.
      returned: success
      type: dict
    friendly_name:
      description: Friendly name of the certificate after the run.
      returned: success
      type: str
      sample: support.example.com 20261129-101500
    key_name:
      description: Name of the key the certificate uses.
      returned: success
      type: str
    new_key:
      description: Whether a new key is generated.
      returned: success
      type: bool
    resumed:
      description: Whether a pending request of an earlier run is taken up.
      returned: success
      type: bool
    request_file:
      description: Where the manual provider writes the request, else null.
      returned: success
      type: str
    delete:
      description: Earlier certificates deleted after the new one is bound (id, friendly name, fingerprint, start).
      returned: success
      type: list
      elements: dict
    previous_bindings:
      description: What the addresses serve before the run.
      returned: success
      type: list
      elements: dict
    previous_fingerprint:
      description: Fingerprint of the certificate the addresses serve before the run, or null.
      returned: success
      type: str
    trusted_roots:
      description: Root fingerprints the appliance software trusts.
      returned: success
      type: list
      elements: str
    new_root:
      description: Root fingerprint of the local CA, or null.
      returned: success
      type: str
    software_update:
      description: Whether the vendor must build new software for a new certificate (null when not known yet).
      returned: success
      type: bool
    hostnames:
      description: The hostnames the addresses are checked as (given, or derived from the alternative names).
      returned: success
      type: list
      elements: str
      sample: [support.example.com]
    acme:
      description:
        - What the role's ACME steps need; C(mode) is null for the other providers. For V(controller) also
          C(directory), C(contact) (as URIs), C(names), C(environment) (for the ACME modules), C(challenge),
          C(dns_tasks) (absolute) and C(kept) (what the addresses serve); for V(appliance) also C(hostnames),
          C(key_type), C(friendly_name), C(renew_now) and C(configure) (why the appliance's ACME client must be set
          again, or null).
      returned: success
      type: dict
      sample: {mode: controller, directory: "https://acme-v02.api.letsencrypt.org/directory", challenge: dns-01}
    rebind:
      description:
        - For a certificate that stays, why its addresses must be bound again (null when they serve it already).
          Always null when something is issued.
      returned: success
      type: str
      sample: "'support.example.com 20261129-101500' is bound not on 192.0.2.11"
    result:
      description: The role's C(certificate_result) when the certificate stays.
      returned: when RV(appliances.action) is V(none)
      type: dict
    lines:
      description: The plan as text, as the role prints it.
      returned: success
      type: list
      elements: str
      sample: ["Keep: support.example.com 20261129-101500 (9f:2c:...)", "Why: nothing to do: ..."]
    lock:
      description:
        - The run lock of the appliance with O(lock_holder), C(name), C(holder) and C(release), V(true) when this
          task took the lock and the caller must give it back (M(bomgar.pki.appliance_lock) with V(absent)) when
          it is done with the appliance.
      returned: when the appliance was reached
      type: dict
      sample: {name: certificates, holder: "alice@controller run 3f9c", release: true}
    warnings:
      description: Warnings about this appliance (also given as the task's warnings, with the host name).
      returned: when there are any
      type: list
      elements: str
failed_hosts:
  description: The appliances whose planning failed.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_plan import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()

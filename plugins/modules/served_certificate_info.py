#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: served_certificate_info
short_description: What every address of many hosts serves over TLS, until when, and what to do about it
version_added: 0.1.0
description:
  - Asks every host, in one task meant to run with C(run_once), what it serves over TLS, and reads what that means
    for a client. Read-only. No API is needed, so it works on any appliance (or any TLS server); an appliance with
    an API connection is also read through it.
  - Each address of a host is asked with each of its hostnames as the server name (SNI); a host without addresses is
    asked by hostname. The chain is read as served, without trusting it, and then verified with cryptography's
    X.509 verifier against O(ca_bundle) (the system's trust store by default) for that hostname.
  - "For each endpoint it returns: the certificate (subject, alternative names, issuer, serial, dates, days left and
    the share of its lifetime left, key, signature algorithm, OCSP and CA issuers URLs), the chain as served (order,
    a missing issuer, whether the root was sent), the verification with its reason, which hostnames are covered
    (by the collection's one coverage rule), the renewal window, the TLS version and cipher, and a status with its
    problems (see the C(status) and C(problems) of RV(hosts))."
  - For a host with O(hosts[].appliance_url) and O(hosts[].api_token) it also reads the appliance (as
    M(bomgar.pki.appliance_certificate_info) does), says whether each address serves the certificate bound to it
    and whether the appliance software trusts the root of what it serves; with O(hosts[].certificate), what the
    bomgar.pki.certificate role would do there (as M(bomgar.pki.certificate_plan) plans it, in check mode).
  - Every TLS handshake and every API read runs side by side on a pool of O(workers) threads. A host that does not
    answer, or whose API cannot be read, is an entry with its error; the task itself does not fail for it.
author:
  - bomgar.pki maintainers (@bomgar-pki)
attributes:
  check_mode:
    description: Reads only, in check mode as outside it.
    support: full
  diff_mode:
    description: Reads only; there is nothing to show as a difference.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
options:
  hosts:
    description:
      - One entry per host; P(bomgar.pki.served_certificate_hosts#filter) makes them from the inventory.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Inventory name of the host; the key of its entry in RV(hosts).
        type: str
        required: true
      site:
        description: The site the host belongs to (the report has a table per site).
        type: str
      addresses:
        description: The IP addresses to ask; when empty, the hostnames are asked by name.
        type: list
        elements: str
        default: []
      hostnames:
        description:
          - The names clients use, each sent as SNI to each address and checked for coverage.
          - With neither addresses nor hostnames, O(hosts[].host) itself is asked.
        type: list
        elements: str
        default: []
      port:
        description:
          - The TLS port. When not given, the site port the appliance's API reports, else V(443).
        type: int
      appliance_url:
        description:
          - Base URL of the appliance. With the credentials of its transport (O(hosts[].api_token), or
            O(hosts[].username) and O(hosts[].password) for O(hosts[].transport=web)), the appliance is also read;
            without them, only TLS is used (environment variables are not consulted).
        type: str
      api_token:
        description: Bearer token of the appliance's API. Never logged or returned.
        type: str
      transport:
        description:
          - V(api) (the default) speaks the Appliance Certificate API with O(hosts[].api_token); V(web) drives the
            appliance's /appliance web interface with O(hosts[].username) and O(hosts[].password), with
            the same results.
        type: str
      username:
        description:
          - Admin username of the appliance's /appliance web interface, for O(hosts[].transport=web).
        type: str
      password:
        description:
          - Password of O(hosts[].username). Never logged or returned.
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
        description: Seconds to wait for each answer of the appliance's API.
        type: float
        default: 30
      certificate:
        description:
          - The variables of the bomgar.pki.certificate role of this host, without their C(certificate_) prefix; when
            given (and the API is), the entry says what the role would do and why.
        type: dict
        suboptions:
          name:
            description:
            - Base friendly name of the certificate; the newest server certificate of this name is the current one.
            - Without it (or without O(hosts[].certificate.subject_alt_name)) the plan of this host fails, naming
              the variable; the rest of the host is reported.
            type: str
          subject:
            description: Subject fields (C(common_name), C(country_name), C(organization_name), ...).
            type: dict
            default: {}
          subject_alt_name:
            description: Subject alternative names, V(DNS:...) or V(IP:...); the first one is the site hostname.
            type: list
            elements: str
          key_type:
            description: Type of the certificate's key.
            type: str
            choices:
            - rsa
            - ec
            default: rsa
          key_size:
            description: Size of an RSA key.
            type: int
            choices:
            - 2048
            - 3072
            - 4096
            default: 2048
          key_curve:
            description: Curve of an EC key.
            type: str
            choices:
            - P-256
            - P-384
            default: P-256
          provider:
            description: Who signs a new certificate.
            type: str
            choices:
            - self_signed
            - local_ca
            - manual
            - acme
            default: self_signed
          days:
            description: Days of validity of a new certificate (for the plan's text).
            type: int
            default: 397
          local_ca_cert:
            description: Certificate file of the local CA on the controller (O(hosts[].certificate.provider=local_ca)).
            type: path
          local_ca_key:
            description: Key file of the local CA on the controller.
            type: path
          local_ca_key_passphrase:
            description: Passphrase of O(hosts[].certificate.local_ca_key). Never logged or returned.
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
              - For O(hosts[].certificate.provider=acme), who orders. V(controller) (DNS-01, with community.crypto on
                the controller) or V(appliance) (its own ACME client, HTTP-01; wildcards and
                O(hosts[].certificate.rekey) are refused).
            type: str
            choices: [controller, appliance]
            default: controller
          acme_directory:
            description:
              - The ACME CA's directory URL (C(https://)); required with O(hosts[].certificate.provider=acme). For a
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
            - The appliance's IP addresses that serve the certificate; defaults to O(hosts[].addresses).
            type: list
            elements: str
          hostnames:
            description:
            - Names TLS clients use; the first is sent as the server name when an address is checked.
            - When not given, the DNS names of O(hosts[].certificate.subject_alt_name) that are not wildcards.
            type: list
            elements: str
          site_port:
            description:
              - TLS port of the site; defaults to O(hosts[].port), else the one the appliance reports, else V(443).
            type: int
          renew_before_days:
            description:
            - Renewal is due this many days before expiry.
            - Mutually exclusive with O(hosts[].certificate.renew_before_percent).
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
            description: The time to decide at (ISO 8601); defaults to O(now).
            type: str
  ca_bundle:
    description:
      - PEM file (or directory of PEM files) of the CAs a client trusts; the chains are verified against it.
      - When not given, the system's trust store (the file OpenSSL uses, such as
        C(/etc/ssl/certs/ca-certificates.crt)).
    type: path
  now:
    description:
      - The time of the report (ISO 8601, for example V(2026-12-01T00:00:00Z)); days left, expiry and renewal are
        judged at it. Defaults to now.
    type: str
  renew_before_days:
    description:
      - Renewal is due this many days before expiry, for hosts without their own renewal variables.
      - By default once two thirds of the lifetime have passed. Mutually exclusive with O(renew_before_percent).
    type: int
  renew_before_percent:
    description: Renewal is due when this percentage of the lifetime is left, for hosts without their own.
    type: float
  probe_timeout:
    description: Seconds to wait for each TLS connection and handshake.
    type: float
    default: 10
  workers:
    description: How many TLS handshakes and API reads run at the same time.
    type: int
    default: 32
notes:
  - Not part of the C(bomgar.pki.appliance) action group, because the connection differs from host to host.
  - The chains are never trusted while they are read; an address that serves anything is reported, whatever it is.
seealso:
  - module: bomgar.pki.certificate_report
  - module: bomgar.pki.appliance_certificate_info
  - module: bomgar.pki.certificate_plan
"""

EXAMPLES = r"""
- name: What every host of the inventory serves
  bomgar.pki.served_certificate_info:
    hosts: "{{ groups['all'] | bomgar.pki.served_certificate_hosts(hostvars) }}"
  run_once: true
  register: served

- name: A web server known only by its name and address, checked against our own root
  bomgar.pki.served_certificate_info:
    hosts:
      - host: intranet
        addresses: [192.0.2.20]
        hostnames: [intranet.example.com]
    ca_bundle: /etc/pki/example-root.pem
  register: intranet
"""

RETURN = r"""
as_of:
  description: The time the endpoints were judged at.
  returned: always
  type: str
  sample: "2026-12-05T12:00:00Z"
ca_bundle:
  description: Where the trusted CAs came from (C(path), C(source) V(system) or V(given), C(certificates)).
  returned: always
  type: dict
counts:
  description: Endpoints by status.
  returned: always
  type: dict
  sample: {"expired": 0, "unreachable": 0, "invalid": 1, "renewal_due": 0, "warning": 0, "ok": 5}
hosts:
  description:
    - Per host (by O(hosts[].host)), what it serves. The fields are those of the report's JSON document
      (docs/report.schema.json in the collection).
  returned: always
  type: dict
  contains:
    status:
      description: The worst status of the host's endpoints and problems.
      returned: always
      type: str
      sample: ok
    port:
      description: The TLS port asked.
      returned: always
      type: int
    problems:
      description: Problems of the host as a whole (its API, what the certificate role would do).
      returned: always
      type: list
      elements: dict
    api:
      description: What the appliance's API says (null for a host without an API connection).
      returned: always
      type: dict
    endpoints:
      description:
        - One per address and hostname asked, with C(status) (V(expired), V(unreachable), V(invalid),
          V(renewal_due), V(warning), V(ok)), C(problems), C(error), C(tls), C(certificate), C(chain),
          C(verification), C(hostname_covered), C(hostnames_covered), C(renewal), C(bound), C(root_fingerprint)
          and C(software_update_required).
      returned: always
      type: list
      elements: dict
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.served_certificate_info import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()

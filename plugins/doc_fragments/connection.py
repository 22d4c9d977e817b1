# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Documentation shared by every appliance module: connection options and attributes."""

from __future__ import annotations


class ModuleDocFragment:
    """Fragments: ``bomgar.pki.connection`` and ``bomgar.pki.connection.ATTRIBUTES``."""

    DOCUMENTATION = r"""
options:
  appliance_url:
    description:
      - Base URL of the appliance, for example C(https://appliance.example.com).
      - With O(transport=api), the API prefix C(/appliance/api/v1) is added when missing; with O(transport=web), the
        pages are read under C(/appliance) of the same address.
      - Only HTTPS is spoken. A URL with C(http://) (or any other scheme) is refused before anything is sent, as the
        token or the password would travel in clear text; so is a port outside 1 to 65535.
      - It names the appliance's own address and port, not the site's (the page the appliance serves to its
        clients); an answer that is the site's page says so.
      - If not set, the environment variable E(BOMGAR_APPLIANCE_URL) is used.
    type: str
    required: true
  transport:
    description:
      - How the module reaches the appliance.
      - V(api) (the default when neither this option nor E(BOMGAR_TRANSPORT) is set) speaks the Appliance
        Certificate API with O(api_token).
      - V(web) drives the appliance's /appliance web interface as a person does, logged in with O(username) and
        O(password); it finds pages, fields and buttons by their visible names. A real appliance offers only this
        interface. Results, check mode, diff and error messages are the same over both.
      - When a page lacks what the web transport looks for, the task fails without changing anything more, names
        the page, the text it looked for and the texts the page has, and writes a snapshot of the page (no values,
        tokens or cookies) to O(web_snapshot_dir).
      - If not set, the environment variable E(BOMGAR_TRANSPORT) is used (inventory variable C(bomgar_transport)
        in the collection's roles).
    type: str
    choices: [api, web]
  api_token:
    description:
      - Bearer token of the appliance's API. Required with O(transport=api).
      - Visible ASCII characters only. A token with a line break, a space, a control or a non-ASCII character is
        refused before anything is sent, without showing it. A token vaulted with
        C(echo TOKEN | ansible-vault encrypt_string) ends with echo's newline; vault it with
        C(printf '%s' TOKEN | ansible-vault encrypt_string --stdin-name bomgar_api_token) instead.
      - If not set, the environment variable E(BOMGAR_API_TOKEN) is used.
      - Never logged or returned.
    type: str
  username:
    description:
      - Admin username of the appliance's /appliance web interface (its own accounts, not those of /login).
        Required with O(transport=web).
      - If not set, the environment variable E(BOMGAR_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username). Required with O(transport=web).
      - If not set, the environment variable E(BOMGAR_PASSWORD) is used.
      - Never logged or returned; neither is the session cookie the web interface gives.
    type: str
  web_snapshot_dir:
    description:
      - Folder where the web transport writes the snapshot of a page that differs from what it looks for.
      - Defaults to C(bomgar-web-snapshots) under the directory ansible-playbook runs in.
    type: path
  validate_certs:
    description:
      - Verify the TLS certificate of the appliance's API.
      - Only set to V(false) in a lab; the token then travels to whoever answers.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the appliance's API certificate.
      - If not set, the environment variable E(BOMGAR_CA_PATH) is used, then the system trust store.
    type: path
  timeout:
    description:
      - Seconds, more than 0, within which each request must have its complete answer. It is a deadline for the
        whole request, not a limit per read, so an answer that trickles in cannot stretch it. Connecting, the TLS
        handshake, sending the request, every read of the answer, and the retries of the request with their
        backoff all count toward it.
      - Idempotent requests (GET, PUT, DELETE) are retried with backoff on connection errors and on HTTP 502, 503
        and 504 while time is left; a POST is sent once.
      - When the connection is lost, or the time is up, after a POST was sent, the appliance may have applied it;
        the message says so. Running the task again is then safe, as every module reads the appliance's state
        before it changes anything.
    type: float
    default: 30
notes:
  - The module runs on the controller, in-process, as an action plugin; the inventory host is the appliance
    itself and needs no Python. No C(delegate_to) is needed.
  - All modules of this collection belong to the action group C(bomgar.pki.appliance), so the connection
    options can be set once for all of them with C(module_defaults).
requirements:
  - cryptography >= 42 on the controller
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying the appliance.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  action:
    description: Runs on the controller as an action plugin.
    support: full
  action_group:
    description: Use C(group/bomgar.pki.appliance) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - bomgar.pki.appliance
"""

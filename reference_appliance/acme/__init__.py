# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's ACME client: a certificate from Let's Encrypt or any RFC 8555 CA over HTTP-01.

One module per job:

- ``settings``: the settings a PUT gives, checked (every refusal a 422 with the reason and the fix), and
  their store rows;
- ``schedule``: when the installed certificate is renewed (a pure function), the ARI certificate id and the
  back-off after a failure;
- ``responder``: the plain-HTTP listeners that answer ``/.well-known/acme-challenge/<token>``;
- ``order``: one order with certbot's ``acme`` library (account, order, HTTP-01, finalize) and the fetch of
  the renewal information (RFC 9773);
- ``service``: the resource ``/acme`` over the store, the background order and the renewal check.

The EAB HMAC and the account key stay in the store: no view, log line or error carries them.
"""

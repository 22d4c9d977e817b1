# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reference appliance: the Appliance Certificate API as a real HTTPS server.

It mirrors /appliance > Security > Certificates of a Bomgar (BeyondTrust Remote
Support) appliance one resource to one page, keeps its state in SQLite, and
serves TLS on each of its loopback addresses with whatever certificate is bound
there. See docs/appliance-api.md.
"""

API_PREFIX = "/appliance/api/v1"
API_VERSION = "1.0.0"

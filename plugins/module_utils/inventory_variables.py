# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory variable of each connection option, as the roles, the fleet filters and the report read them."""

from __future__ import annotations

CONNECTION_VARIABLES = {
    "appliance_url": "bomgar_appliance_url",
    "transport": "bomgar_transport",
    "api_token": "bomgar_api_token",
    "username": "bomgar_username",
    "password": "bomgar_password",
    "ca_path": "bomgar_ca_path",
}

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The /appliance web interface (docs/web-interface.md), beside the API on the same listener and over the same
``Appliance`` service layer, so the two never disagree.

``install(app, web)`` adds the pages to the API's application (``web`` is a :class:`WebInterface`). The pages
are plain HTML with their style inline and no JavaScript: ``pages`` builds them, ``routes`` serves them,
``auth`` holds the admin's sessions and the login throttle, ``forms`` reads what a browser posts, and
``alterations`` shows them altered for tests of a client (``serve --web-alteration``).
"""

from __future__ import annotations

from .alterations import AlterationError, parse_alteration
from .interface import WebInterface, WebSettings, owns
from .routes import router

__all__ = ["AlterationError", "WebInterface", "WebSettings", "install", "owns", "parse_alteration"]


def install(app, web: WebInterface) -> None:
    """Serve ``web``'s pages from ``app`` (they are left out of its OpenAPI document)."""
    app.state.web = web
    app.include_router(router)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A PNG of a page of the appliance, rendered by headless Chromium on the controller.

The page is never opened by the browser over the network: the web transport
reads it with its own session, makes it safe (no scripts, no hidden fields, no
values, inert links), and Chromium renders that copy from a private temporary
folder with every network lookup refused. So no cookie, token or password ever
reaches the browser, and what it shows is what the appliance served.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

# Names the Chromium binary has on the distributions the collection runs on, looked up on PATH in this order.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW_SIZE = "1280,960"
RENDER_TIMEOUT = 90
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Off the network and without anything a first start of a browser would do.
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--force-device-scale-factor=1",
)


class ScreenshotUnavailable(Exception):
    """No PNG could be made; the message says why and what to do (the bundle is written without it)."""


def find_chromium(given: str | None = None) -> str | None:
    """The Chromium to run: ``given`` when it is an executable file, else the first of CHROMIUM_NAMES on PATH."""
    if given:
        return given if os.path.isfile(given) and os.access(given, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_png(html: str, chromium: str, timeout: float = RENDER_TIMEOUT) -> bytes:
    """The PNG of ``html`` (a whole page with inline styles) as Chromium renders it, ``WINDOW_SIZE`` pixels."""
    with tempfile.TemporaryDirectory(prefix="bomgar-screenshot-") as folder:
        page = os.path.join(folder, "page.html")
        png = os.path.join(folder, "page.png")
        with open(page, "w", encoding="utf-8") as handle:
            handle.write(html)
        argv = [chromium, *FLAGS, f"--user-data-dir={os.path.join(folder, 'profile')}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.append("--no-sandbox")  # Chromium refuses to start as root with its sandbox
        argv += [f"--window-size={WINDOW_SIZE}", f"--screenshot={png}", "file://" + page]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, cwd=folder)
        except subprocess.TimeoutExpired:
            raise ScreenshotUnavailable(
                f"Chromium ({chromium}) did not render the page within {timeout:g} s."
            ) from None
        except OSError as exc:
            raise ScreenshotUnavailable(f"Chromium ({chromium}) could not be started: {exc.strerror or exc}.") from None
        try:
            with open(png, "rb") as handle:
                data = handle.read()
        except OSError:
            last = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise ScreenshotUnavailable(
                f"Chromium ({chromium}) exited with status {done.returncode} without a screenshot: {last[0]}"
            ) from None
    if not data.startswith(PNG_SIGNATURE):
        raise ScreenshotUnavailable(f"Chromium ({chromium}) wrote something other than a PNG.")
    return data

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Headless Chromium, driven over the DevTools protocol on a pipe: open a page, measure it, take screenshots.

``--remote-debugging-pipe`` makes Chromium read protocol messages (JSON, each
ended by a NUL byte) on file descriptor 3 and write its answers on 4, so no
port and no websocket client are needed. Chromium runs with the flags that
keep it off the network (no background networking, component updates, sync
or first-run pages) and a fresh profile directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def chromium_path() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    return CHROMIUM if os.access(CHROMIUM, os.X_OK) else shutil.which("chromium")


class Browser:
    """One Chromium process and one page in it."""

    def __init__(self, profile: Path, timeout: float = 60.0):
        self.timeout = timeout
        self._next_id = 0
        self._buffer = b""
        self.events: list = []
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        os.set_inheritable(to_child_read, True)
        os.set_inheritable(from_child_write, True)

        def wire_pipes():  # in the child: the protocol's descriptors 3 (commands in) and 4 (answers out)
            os.dup2(to_child_read, 3)
            os.dup2(from_child_write, 4)

        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with  # runs until close()
            [chromium_path() or CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # The child keeps 3 and 4 open (descriptors not named here are closed after wire_pipes ran).
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,  # noqa: PLW1509  # only dup2 in the child, before exec
        )
        os.close(to_child_read)
        os.close(from_child_write)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Runtime.enable", session=True)

    # --- the protocol -----------------------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the protocol pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: bool = False) -> dict:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for_event(self, method: str) -> dict:
        """The next event ``method`` (or one that already came)."""
        deadline = time.monotonic() + self.timeout
        for position, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(position)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    # --- the page ---------------------------------------------------------------------------------------

    def open(self, url: str, width: int, height: int = 900) -> None:
        """Load ``url`` in a viewport ``width`` CSS pixels wide."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            session=True,
        )
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page."""
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True, top: int = 0, height: int | None = None) -> Path:
        """A PNG of the page: the whole of it (at most 16000 px tall), or ``height`` pixels from ``top``."""
        params = {"format": "png", "captureBeyondViewport": True}
        size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        if full_page or height:
            tall = min(size[1] - top, height or 16000)
            params["clip"] = {"x": 0, "y": top, "width": size[0], "height": tall, "scale": 1}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def requests(self) -> list:
        """URLs the page asked the network for since it was opened (none for a self-contained page)."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        """End Chromium (it ends by itself when its pipe closes; SIGKILL after a grace period)."""
        with contextlib.suppress(OSError):
            os.close(self._to_child)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        os.close(self._from_child)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

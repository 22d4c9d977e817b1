# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Paths on the controller that are neither a regular file nor a folder, named in words.

Reading a named pipe blocks until something writes to it, and a device or a
socket is no certificate file or bundle: the modules refuse such paths, naming
what they are.
"""

from __future__ import annotations

import os
import stat

_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_kind(path: str) -> str | None:
    """What ``path`` is when it exists and is neither a regular file nor a folder (links followed); else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in _SPECIAL_FILES:
        if test(mode):
            return kind
    return "a special file"

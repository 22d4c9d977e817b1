# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's ``main()`` in the test process, as Ansible runs the module file.

On ansible-core >= 2.19 arguments reach ``AnsibleModule`` through
``ansible.module_utils.testing.patch_module_args`` (setting
``basic._ANSIBLE_ARGS`` alone fails there: "No serialization profile was
specified"); on older releases through ``basic._ANSIBLE_ARGS``.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass

from ansible.module_utils import basic

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


@contextlib.contextmanager
def module_args(args: dict):
    """Make ``args`` the arguments of any AnsibleModule created inside the block."""
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


@dataclass
class ModuleRun:
    """What a module printed and how it exited."""

    result: dict
    exit_code: int
    stdout: str


def run_module(main, args: dict, check_mode: bool = False, diff: bool = False) -> ModuleRun:
    """Call ``main()`` with ``args``; the JSON result it printed, its exit status and its raw output."""
    full_args = dict(args)
    if check_mode:
        full_args["_ansible_check_mode"] = True
    if diff:
        full_args["_ansible_diff"] = True
    output = io.StringIO()
    code = 0
    with module_args(full_args), contextlib.redirect_stdout(output):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    text = output.getvalue()
    try:
        result = json.loads(text)
    except ValueError:
        raise AssertionError(f"the module did not print one JSON object (exit status {code}):\n{text}") from None
    return ModuleRun(result, code, text)

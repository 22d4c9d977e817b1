# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin base: a module's logic run in-process on the controller.

The inventory host is the appliance itself; nothing is sent to it over the
connection plugin and no module process is started. Arguments are validated
with the module's own argument spec (with ``module_defaults`` and the
``bomgar.pki.appliance`` action group applied by Ansible beforehand), then
with the runner's own checks (``check_params``: no list or dict where text is
expected, seconds above 0, ports in range, usable connection options) on the
arguments as given; values of ``no_log`` options are masked in the result as
a module would, and so is any option value that turns out to hold a private
key (given by mistake where a request, a name or a fingerprint belongs).

A result that carries a secret value (``ModuleSpec.secret_results``, such as
an exported PKCS#12 with its private key) is marked ``_ansible_no_log``:
ansible-core (2.19 and later) then shows it censored as a whole, at every
verbosity and to every callback, as if the task had ``no_log: true``; the
registered variable keeps every value.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import (
    Context,
    key_material_values,
    run_logic,
)


class ApplianceActionBase(ActionBase):
    """Subclasses set ``MODULE_SPEC`` to the module's :class:`ModuleSpec`."""

    MODULE_SPEC = None
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        """Validate the task's arguments, run the logic, and return a module-shaped result."""
        result = super().run(tmp, task_vars)
        spec = self.MODULE_SPEC
        argument_spec = spec.full_argument_spec()
        validator = ArgumentSpecValidator(argument_spec, **spec.constraints())
        validation = validator.validate(dict(self._task.args))
        no_log_values = set(validation._no_log_values)  # pylint: disable=protected-access
        # Key material given in any option is masked too (invocation, messages, diff), as no_log values are.
        no_log_values |= key_material_values(dict(self._task.args), argument_spec)
        error = validation.errors.errors[0] if validation.errors.errors else None
        if error:
            # The same message AnsibleModule gives: the first error, unsupported options named as such.
            msg = validation.errors.msg
            if isinstance(error, UnsupportedError):
                msg = f"Unsupported parameters for ({self._task.resolved_action or self._task.action}) module: {msg}"
            result.update(failed=True, changed=False, msg=msg)
            return remove_values(result, no_log_values)
        ctx = Context(
            validation.validated_parameters,
            check_mode=bool(self._task.check_mode),
            diff_mode=bool(self._task.diff),
            resolve_path=self._resolve_controller_path,
            given=dict(self._task.args),
        )
        outcome = run_logic(spec, ctx)
        warnings = outcome.pop("warnings", [])
        result.update(outcome)
        if warnings:
            result.setdefault("warnings", []).extend(warnings)
        if self._display.verbosity >= spec.invocation_verbosity:
            result["invocation"] = {"module_args": validation.validated_parameters}
        if any(name in result for name in spec.secret_results):
            result["_ansible_no_log"] = True
        return remove_values(result, no_log_values)

    def _resolve_controller_path(self, path: str) -> str:
        try:
            return self._find_needle("files", path)
        except AnsibleError:
            return path

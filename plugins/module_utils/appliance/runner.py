# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One way to run a module's logic, as a plain module or in-process from its action plugin.

A module's logic is a :class:`ModuleSpec`: its argument spec and a function
``run(ctx) -> dict``. ``ctx`` is the small interface the logic sees: the
validated ``params``, ``check_mode``, ``diff_mode``, ``warn()``, ``fail()``,
``resolve_path()`` (controller files) and ``client()`` (the appliance, over its API or its web interface).
Failures of the client and of the PKI core become ``fail_json`` in exactly
one place: :func:`run_logic`, which first checks what Ansible's argument
validation lets through (:func:`check_params`): a list or dict given where
text is expected (Ansible would turn it into the text of the list), seconds
that are not above 0, ports out of range, and connection options no request
can be made with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .client import ApplianceError, check_seconds
from .transport import CONNECTION_ARGUMENT_SPEC, check_connection_options, connect

try:
    from ..pki.errors import PKIError
except ImportError:  # the core imports cleanly without cryptography; keep the runner importable regardless
    PKIError = ()
try:
    from ..pki.keyguard import find_private_keys
except ImportError:  # keyguard needs nothing but the standard library; guarded like every core import
    find_private_keys = None


# Options, wherever they appear (suboptions too), whose value is seconds to wait (above 0) or a TCP port.
SECONDS_OPTIONS = frozenset(("timeout", "verify_timeout"))
PORT_OPTIONS = frozenset(("site_port",))
# Ansible turns a list or a dict given for these types into its text ("['a']"); they are refused instead.
TEXT_TYPES = frozenset(("str", "path"))


def _given_options(spec: dict, values, prefix: str = ""):
    """``(name, label, option, value)`` of every option set in ``values``, suboptions included.

    ``label`` names the option as a user finds it: ``bind.verify_timeout``, ``appliances[2].timeout``.
    """
    if not isinstance(values, Mapping):
        return
    for name, option in spec.items():
        key = next((key for key in (name, *option.get("aliases", ())) if key in values), None)
        if key is None:
            continue
        value = values[key]
        label = prefix + key
        yield name, label, option, value
        suboptions = option.get("options")
        if not suboptions or value is None:
            continue
        if option.get("type") == "dict":
            yield from _given_options(suboptions, value, label + ".")
        elif option.get("type") == "list" and isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                yield from _given_options(suboptions, item, f"{label}[{index}].")


def _not_text(value) -> str | None:
    if isinstance(value, Mapping):
        return "a dictionary"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "a list"
    return None


def _text_problem(spec: dict, given: dict) -> str | None:
    """A list or dict where text is expected, in the arguments as given (before Ansible converts them)."""
    for _name, label, option, value in _given_options(spec, given):
        kind = option.get("type", "str")
        found, where = None, label
        if kind in TEXT_TYPES:
            found = _not_text(value)
        elif kind == "list" and option.get("elements", "str") in TEXT_TYPES and isinstance(value, (list, tuple)):
            index, found = next(((i, _not_text(item)) for i, item in enumerate(value) if _not_text(item)), (0, None))
            where = f"{label}[{index}]"
        if found:
            return (
                f"{where} takes text, but {found} was given (it would be used as the text of the whole "
                f"{found.split()[-1]}), so nothing was done. Give one text value; for a list held in a variable, "
                'choose the item, e.g. "{{ names | first }}".'
            )
    return None


def _number_problem(spec: dict, params: dict) -> str | None:
    """Seconds that are not above 0, or a port out of range, in the validated parameters."""
    for name, label, _option, value in _given_options(spec, params):
        if value is None:
            continue
        if name in SECONDS_OPTIONS:
            try:
                check_seconds(value, label)
            except ApplianceError as exc:
                return exc.message
        if name in PORT_OPTIONS and not 1 <= value <= 65535:
            return f"{label} is {value}, which is not a port: give a number from 1 to 65535 (e.g. 443)."
    return None


def check_params(spec: ModuleSpec, given: dict | None, params: dict) -> None:
    """Refuse what Ansible's argument validation lets through, before the module's logic runs.

    ``given`` are the arguments as the task gave them (lists still lists), ``params`` the validated ones.
    Raises :class:`ModuleFailed` (or :class:`ApplianceError` for the connection options).
    """
    argument_spec = spec.full_argument_spec()
    problem = _text_problem(argument_spec, given) or _number_problem(argument_spec, params)
    if problem:
        raise ModuleFailed(problem)
    if spec.connection:
        check_connection_options(params)


def _with_env_fallbacks(spec: dict) -> dict:
    """Turn ``("env", [...])`` markers into Ansible's ``(env_fallback, [...])``."""
    from ansible.module_utils.basic import env_fallback

    result = {}
    for name, declared in spec.items():
        option = dict(declared)
        if isinstance(option.get("fallback"), tuple) and option["fallback"][0] == "env":
            option["fallback"] = (env_fallback, option["fallback"][1])
        result[name] = option
    return result


@dataclass
class ModuleSpec:
    """A module's argument spec, its constraints and its logic."""

    argument_spec: dict
    run: object
    mutually_exclusive: list = field(default_factory=list)
    required_if: list = field(default_factory=list)
    required_one_of: list = field(default_factory=list)
    required_together: list = field(default_factory=list)
    connection: bool = True
    # Result keys whose values are secret (a PKCS#12 with its key): a result that holds one is hidden from the
    # output as a whole, as ``no_log`` hides it, while the registered value keeps it.
    secret_results: tuple = ()
    # The verbosity from which the action plugin's result carries ``invocation`` (the validated arguments), as
    # a module's does at any verbosity. 3 (-vvv) for a module whose arguments are large and repeated in its result.
    invocation_verbosity: int = 0

    def full_argument_spec(self) -> dict:
        """The module's options plus the connection options, with environment fallbacks wired."""
        spec = dict(CONNECTION_ARGUMENT_SPEC) if self.connection else {}
        spec.update(self.argument_spec)
        return _with_env_fallbacks(spec)

    def constraints(self) -> dict:
        """Keyword arguments for AnsibleModule / ArgumentSpecValidator."""
        return {
            "mutually_exclusive": self.mutually_exclusive,
            "required_if": self.required_if,
            "required_one_of": self.required_one_of,
            "required_together": self.required_together,
        }


class ModuleFailed(Exception):
    """Raised by ``ctx.fail``; carries the message and extra result keys."""

    def __init__(self, msg: str, **extra):
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class Context:
    """What a module's logic may use."""

    def __init__(self, params: dict, check_mode: bool = False, diff_mode: bool = False, resolve_path=None, given=None):
        self.params = params
        # The arguments as the task gave them, before Ansible's conversions (for check_params).
        self.given = given
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings: list[str] = []
        self._resolve_path = resolve_path
        self._client = None

    def warn(self, message: str) -> None:
        """Add a warning to the result (shown by Ansible)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def fail(self, msg: str, **extra):
        """Stop with a failure; ``extra`` keys go into the result."""
        raise ModuleFailed(msg, **extra)

    def resolve_path(self, path: str) -> str:
        """A controller path: the action plugin searches the role/play ``files`` folders; a module takes it as is."""
        return self._resolve_path(path) if self._resolve_path else path

    def client(self):
        """The appliance's client (API or web interface, as ``transport`` says), made once per run."""
        if self._client is None:
            self._client = connect(self.params)
        return self._client

    def use_client(self, client) -> None:
        """Use a client made for another step of the same task (one connection to the appliance)."""
        self._client = client

    def close(self) -> None:
        """Close the client's connection to the appliance (over the web interface: log out), when one was made."""
        close = getattr(self._client, "close", None)
        if close is not None:
            close()


# Lines at least this long of a value holding a key are masked on their own (base64 lines of a PEM key are 64).
_MASKED_LINE_LENGTH = 8


def _strings(value):
    """Every string in an option value (lists and dictionaries walked)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def key_material_values(params: dict, argument_spec: dict) -> set:
    """Option values that are, or hold, a private key: masked like ``no_log`` values wherever the result shows them.

    An option meant for something else (a request, a fingerprint, a name) may be given a private key by
    mistake; the task refuses it, and the key must not appear in ``invocation``, the message or the diff.
    Each line of such a value is masked too, since a message may quote the value in another form (``repr``,
    stripped). Options that are ``no_log`` already are masked as a whole and are not searched.
    """
    if find_private_keys is None:
        return set()
    found = set()
    for name, value in (params or {}).items():
        if (argument_spec.get(name) or {}).get("no_log"):
            continue
        for text in _strings(value):
            if len(text) >= 40 and find_private_keys(text.encode("utf-8", "surrogateescape")):
                found.add(text)
                found.update(line.strip() for line in text.splitlines() if len(line.strip()) >= _MASKED_LINE_LENGTH)
    return found


def failure_result(exc: Exception) -> dict | None:
    """The result of a foreseen failure (``failed: true``, the message, the error code and details), or None."""
    if isinstance(exc, ModuleFailed):
        return {"failed": True, "msg": exc.msg, "changed": False, **exc.extra}
    if isinstance(exc, ApplianceError):
        result = {"failed": True, "msg": exc.message, "changed": False}
        if exc.error:
            result["error"] = exc.error
    elif PKIError and isinstance(exc, PKIError):
        result = {"failed": True, "msg": str(exc), "changed": False, "error": exc.code}
    else:
        return None
    if exc.details:
        result["details"] = exc.details
    return result


def run_logic(spec: ModuleSpec, ctx: Context) -> dict:
    """Run the logic and return an Ansible result dict; every foreseen failure becomes ``failed: true``.

    The client is closed at the end of the task, whatever happened: over the web interface that logs the
    session out, so a long run leaves no sessions open on the appliance.
    """
    try:
        if ctx.given is not None:  # a task's arguments (a unit test's context may hold only what it needs)
            check_params(spec, ctx.given, ctx.params)
        result = dict(spec.run(ctx) or {})
        result.setdefault("changed", False)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        result = failure_result(exc)
        if result is None:
            raise
    finally:
        ctx.close()
    if ctx.warnings:
        result["warnings"] = list(ctx.warnings)
    return result


def run_as_module(spec: ModuleSpec) -> None:
    """The ``main()`` of a module file: the same logic under AnsibleModule."""
    from ansible.module_utils.basic import AnsibleModule, _load_params

    class _Module(AnsibleModule):
        """Masks key material given in any option before anything (the journal, a refusal, the result) shows it."""

        def _load_params(self):
            super()._load_params()
            self.no_log_values.update(key_material_values(self.params, self.argument_spec))

    module = _Module(argument_spec=spec.full_argument_spec(), supports_check_mode=True, **spec.constraints())
    # The arguments as given: AnsibleModule has turned a list given for a text option into its text.
    ctx = Context(module.params, check_mode=module.check_mode, diff_mode=module._diff, given=_load_params())
    result = run_logic(spec, ctx)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):
        result.pop("failed")
        module.fail_json(**result)
    module.exit_json(**result)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential types in examples/awx: credential-type.yml (the API) and credential-type-web.yml (the
/appliance web interface).

What it injects is checked against what the collection reads, taken from the collection itself: the
environment variables are the fallbacks of the modules' connection options (the runner's argument spec, as
the connection doc fragment documents them); the extra variables are the inventory variables the roles hand
to those options in their ``module_defaults``. Secrets are marked secret, and the injector templates use
only declared inputs. Finally the injectors are rendered the way AWX renders them and a playbook connects to
a reference appliance with nothing but what they give, without the token or the password showing anywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from ansible_collections.bomgar.pki.plugins.module_utils import atlas
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import CONNECTION_ARGUMENT_SPEC
from harness import ROOT, run_playbook
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

AWX = ROOT / "examples" / "awx"
# Each credential type, with its secret inputs and the inputs a reference appliance's handle gives it.
CREDENTIAL_TYPES = {
    "credential-type.yml": {
        "secrets": {"api_token"},
        "inputs": lambda handle: {"api_token": handle.token},
        "defaults": {"api_token": "{{ bomgar_api_token }}"},
    },
    "credential-type-web.yml": {
        "secrets": {"password"},
        "inputs": lambda handle: {"username": handle.username, "password": handle.password},
        "defaults": {
            "transport": "{{ bomgar_transport }}",
            "username": "{{ bomgar_username }}",
            "password": "{{ bomgar_password }}",
        },
    },
}
DOC_FRAGMENT = ROOT / "plugins" / "doc_fragments" / "connection.py"
ACTION_GROUP = "group/bomgar.pki.appliance"
# The names AWX itself provides to injector templates: the files written by the file injector.
AWX_NAMESPACES = {"tower", "awx"}


@pytest.fixture(params=sorted(CREDENTIAL_TYPES))
def credential_file(request) -> str:
    """The file name of one credential type of examples/awx."""
    return request.param


def _credential_type(name: str) -> dict:
    return yaml.safe_load((AWX / name).read_text(encoding="utf-8"))


def _fields(name: str) -> dict:
    return {field["id"]: field for field in _credential_type(name)["inputs"]["fields"]}


def _env_fallbacks() -> dict:
    """``{environment variable: connection option}`` from the modules' argument spec."""
    found = {}
    for option, spec in CONNECTION_ARGUMENT_SPEC.items():
        fallback = spec.get("fallback")
        if fallback and fallback[0] == "env":
            for name in fallback[1]:
                found[name] = option
    return found


def _walk(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _role_connection_variables() -> dict:
    """``{inventory variable: {connection options}}``: what the roles' module_defaults hand to the modules."""
    found: dict = {}
    for path in sorted((ROOT / "roles").glob("*/tasks/*.yml")):
        for node in _walk(yaml.safe_load(path.read_text(encoding="utf-8"))):
            defaults = (node.get("module_defaults") or {}).get(ACTION_GROUP)
            if not isinstance(defaults, dict):
                continue
            for option, template in defaults.items():
                match = re.fullmatch(r"\{\{\s*(\w+)\b.*\}\}", str(template).strip(), re.S)
                if match:
                    found.setdefault(match.group(1), set()).add(option)
    return found


def _templates(credential_file: str) -> dict:
    """Every injector template by where it is: ``env.NAME``, ``extra_vars.NAME``, ``file.template``."""
    injectors = _credential_type(credential_file)["injectors"]
    templates = {}
    for kind in ("env", "extra_vars", "file"):
        for name, template in (injectors.get(kind) or {}).items():
            templates[f"{kind}.{name}"] = template
    return templates


def _inputs_used(template: str) -> set:
    return meta.find_undeclared_variables(ImmutableSandboxedEnvironment().parse(template)) - AWX_NAMESPACES


def render(name: str, inputs: dict, workdir: Path) -> dict:
    """The injectors rendered as AWX renders them: the file first, then env and extra_vars with its name."""
    injectors = _credential_type(name)["injectors"]
    sandbox = ImmutableSandboxedEnvironment()
    namespace = {name: value for name, value in inputs.items() if value != ""}
    namespace["tower"] = SimpleNamespace()
    for label, template in (injectors.get("file") or {}).items():
        path = workdir / f"credential-{label.replace('.', '-')}"
        path.write_text(sandbox.from_string(template).render(**namespace), encoding="utf-8")
        path.chmod(0o600)
        if "." in label:
            files = getattr(namespace["tower"], "filename", None) or SimpleNamespace()
            setattr(files, label.split(".", 1)[1], str(path))
            namespace["tower"].filename = files
        else:
            namespace["tower"].filename = str(path)
    return {
        kind: {name: sandbox.from_string(template).render(**namespace) for name, template in injectors[kind].items()}
        for kind in ("env", "extra_vars")
    }


def test_the_credential_type_is_what_the_awx_api_takes(credential_file):
    credential_type = _credential_type(credential_file)
    assert set(credential_type) <= {"name", "description", "kind", "inputs", "injectors"}
    assert credential_type["kind"] in ("cloud", "net")
    fields = credential_type["inputs"]["fields"]
    ids = [field["id"] for field in fields]
    assert len(ids) == len(set(ids)), f"input ids given twice: {ids}"
    for field in fields:
        assert {"id", "label", "type"} <= set(field), field
        assert field["type"] in ("string", "boolean"), field
    assert set(credential_type["inputs"]["required"]) <= set(ids)
    assert set(credential_type["injectors"]) <= {"env", "extra_vars", "file"}


def test_injected_environment_variables_are_the_modules_fallbacks(credential_file):
    fallbacks = _env_fallbacks()
    documented = set(re.findall(r"E\((BOMGAR_[A-Z_]+)\)", DOC_FRAGMENT.read_text(encoding="utf-8")))
    assert fallbacks and set(fallbacks) <= documented
    for name in _credential_type(credential_file)["injectors"]["env"]:
        assert name in fallbacks, f"{name} is not read by the modules; they read {sorted(fallbacks)}"


def test_injected_extra_vars_are_the_inventory_variables_the_roles_read(credential_file):
    read_by_roles = _role_connection_variables()
    site_variables = set(atlas.SITE_VARIABLES.values())
    assert "bomgar_appliance_url" in read_by_roles
    injectors = _credential_type(credential_file)["injectors"]
    fallbacks = _env_fallbacks()
    for name, template in injectors["extra_vars"].items():
        assert name in read_by_roles, f"{name} is not read by any role; they read {sorted(read_by_roles)}"
        assert name in site_variables, f"the Atlas pre-flight does not read {name} of each appliance"
        # The same value reaches the same option whether a role passes the variable or a module falls back on the
        # environment.
        same = [env for env, env_template in injectors["env"].items() if env_template == template]
        assert same, f"{name} has no environment variable with the same value"
        assert {fallbacks[env] for env in same} <= read_by_roles[name]


def test_secrets_are_marked_secret(credential_file):
    fields = _fields(credential_file)
    secret_options = {option for option, spec in CONNECTION_ARGUMENT_SPEC.items() if spec.get("no_log")}
    fallbacks = _env_fallbacks()
    read_by_roles = _role_connection_variables()
    injectors = _credential_type(credential_file)["injectors"]
    checked = set()
    for kind, options_of in (("env", lambda n: {fallbacks[n]}), ("extra_vars", lambda n: read_by_roles[n])):
        for name, template in injectors[kind].items():
            if options_of(name) & secret_options:
                for field in _inputs_used(template):
                    assert fields[field].get("secret") is True, f"{field} feeds {name}, a secret, but is not secret"
                    checked.add(field)
    assert checked == CREDENTIAL_TYPES[credential_file]["secrets"]
    for field in fields.values():
        if re.search(r"token|password|passphrase|secret|key", field["id"]):
            assert field.get("secret") is True, f"{field['id']} looks like a secret but is not marked secret"


def test_injector_templates_use_only_declared_inputs(credential_file):
    fields = _fields(credential_file)
    has_file = bool(_credential_type(credential_file)["injectors"].get("file"))
    for where, template in _templates(credential_file).items():
        parsed = ImmutableSandboxedEnvironment().parse(template)
        undeclared = _inputs_used(template) - set(fields)
        assert not undeclared, f"{where} uses {sorted(undeclared)}, which are not inputs"
        for node in parsed.find_all(nodes.Name):
            if node.name in AWX_NAMESPACES:
                assert has_file and not where.startswith("file."), f"{where} names a file no file injector writes"
        for node in parsed.find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name in AWX_NAMESPACES:
                assert node.attr == "filename", f"{where}: {node.node.name}.{node.attr} is not something AWX provides"


def test_every_required_input_is_used_by_an_injector(credential_file):
    used = set().union(*(_inputs_used(template) for template in _templates(credential_file).values()))
    assert set(_credential_type(credential_file)["inputs"]["required"]) <= used
    assert set(_fields(credential_file)) <= used


@pytest.mark.parametrize("source", ["extra_vars", "env"])
def test_a_playbook_reaches_the_appliance_with_what_the_credential_injects(
    appliance, tmp_path, source, credential_file
):
    kind = CREDENTIAL_TYPES[credential_file]
    inputs = {**kind["inputs"](appliance), "ca_certificate": Path(appliance.ca_path).read_text()}
    injected = render(credential_file, inputs, tmp_path)
    inventory = {
        "all": {
            "hosts": {
                appliance.hostname: {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                    "bomgar_appliance_url": appliance.api_url,
                }
            }
        }
    }
    # As the roles do: the connection options from the inventory variables (here given by the credential's
    # extra variables), or, with nothing but the URL given, from the environment the credential sets.
    defaults = {"appliance_url": "{{ bomgar_appliance_url }}"}
    if source == "extra_vars":
        defaults.update(kind["defaults"], ca_path="{{ bomgar_ca_path | default(omit) }}")
    play = {
        "name": "credential",
        "hosts": "all",
        "gather_facts": False,
        "module_defaults": {ACTION_GROUP: defaults},
        "tasks": [
            {"name": "Read the appliance", "bomgar.pki.appliance_certificate_info": {"gather": ["bindings"]}},
        ],
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump([play]), encoding="utf-8")
    arguments = ["-i", str(tmp_path / "inventory.yml"), str(tmp_path / "playbook.yml"), "-vvv"]
    env = {}
    if source == "extra_vars":
        (tmp_path / "extra.json").write_text(json.dumps(injected["extra_vars"]), encoding="utf-8")
        arguments += ["-e", f"@{tmp_path / 'extra.json'}"]
    else:
        env = injected["env"]

    run = run_playbook(tmp_path / "run", arguments, env=env)

    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    result = run.result("Read the appliance")
    assert not result["failed"]
    assert result["bindings"], result
    for text in (run.stdout, run.stderr, json.dumps(run.results)):
        for secret in (appliance.token, appliance.password):
            assert secret not in text

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as a user runs it: from the built tarball, in a repository of their own, on the floor.

The collection tarball is built from this checkout (``ansible-galaxy collection
build``). A scratch virtual environment holds only ansible-core at the floor
and cryptography, pinned as in requirements/test.txt, installed with pip from
the package index. A scratch copy of examples/inventory-repo, its
requirements.yml pointed at the tarball the way its README says, gets the
collection installed into its ``collections/`` by ansible-galaxy from that
environment. A site of reference appliances (a primary and two traffic nodes)
is started with the API tokens that the repository's vault holds, and the
copied inventory is pointed at it.

Then the repository's own commands run with that environment's
ansible-playbook, as its CI does: the plan (check mode and diff) says what would change and
changes nothing on the appliances; the apply leaves every address of the site
serving the new certificate, verified against the lab CA.
Nothing may be written inside the installed collection, and nothing may be
missing from the environment (no import error, no missing filter dependency).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from appliance_fixtures import served_chain, sha256_fingerprint, start_fleet
from cryptography import x509

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "inventory-repo"
TEST_REQUIREMENTS = ROOT / "requirements" / "test.txt"
# The demo vault passwords the example's README documents.
VAULT_IDENTITY = "bomgar"
VAULT_PASSWORD = "bomgar-demo-vault"
SITE_HOSTNAME = "support.example.com"
# What an environment that lacks something shows, wherever it shows it.
MISSING = re.compile(r"ModuleNotFoundError|ImportError|No module named|could not be found|couldn't resolve", re.I)
TIMEOUT = 300


def _pinned(package: str) -> str:
    for line in TEST_REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(f"{package}=="):
            return line.strip()
    raise AssertionError(f"{package} is not pinned in {TEST_REQUIREMENTS}")


def _run(argv: list, cwd: Path, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(
            [str(arg) for arg in argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
        errors = (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        raise AssertionError(
            f"{' '.join(map(str, argv))} did not end within {TIMEOUT} s:\n{output[-4000:]}\n{errors[-6000:]}"
        ) from None
    if check:
        assert done.returncode == 0, (
            f"{' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
        )
    return done


def _clean_environment(venv: Path) -> dict:
    """The scratch environment first on PATH, and no Ansible setting from the caller's environment."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "PIP_")) and name != "BOMGAR_APPLIANCE_TOKEN"
    }
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    environment["VIRTUAL_ENV"] = str(venv)
    environment["ANSIBLE_NOCOLOR"] = "1"
    environment["ANSIBLE_FORCE_COLOR"] = "0"
    return environment


def _tree(root: Path) -> dict:
    """Every file and folder under ``root`` with its content digest (files) and mode: to see any write.

    Python's own bytecode cache (``__pycache__``, written by the interpreter when it imports a plugin) is left
    out: it is not something the collection writes, and a read-only install simply goes without it.
    """
    snapshot = {}
    for path in sorted(root.rglob("*")):
        relative = str(path.relative_to(root))
        if "__pycache__" in path.parts:
            continue
        if path.is_symlink():
            snapshot[relative] = ("link", os.readlink(path))
        elif path.is_dir():
            snapshot[relative] = ("dir", path.stat().st_mode)
        else:
            snapshot[relative] = ("file", path.stat().st_mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return snapshot


def _appliance_state(handle) -> dict:
    """Everything an appliance holds, through its API, including the run locks: to prove nothing changed."""
    paths = ("status/basics", "network/ip-addresses", "keys", "certificate-requests", "certificates")
    with handle.client() as client:
        state = {}
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, f"{handle.hostname} {path}: {response.status_code} {response.text}"
            state[path] = response.json()
        return state


class UserRepository:
    """The scratch repository, its environment and the site it manages."""

    def __init__(self, directory: Path, venv: Path, fleet, collection: Path):
        self.directory = directory
        self.venv = venv
        self.fleet = fleet
        self.collection = collection
        self.environment = _clean_environment(venv)

    def playbook(self, *arguments: str) -> subprocess.CompletedProcess:
        """The scratch environment's ansible-playbook in the repository, as its pipelines run it."""
        return _run([self.venv / "bin" / "ansible-playbook", *arguments], self.directory, self.environment, check=False)


def _vault_tokens(venv: Path, repository: Path, environment: dict) -> dict:
    """The API tokens the repository's vault holds, read with the scratch environment's ansible-vault."""
    done = _run(
        [
            venv / "bin" / "ansible-vault",
            "view",
            "--vault-id",
            f"{VAULT_IDENTITY}@.vault/{VAULT_IDENTITY}",
            "inventories/production/group_vars/bomgar_site/vault.yml",
        ],
        repository,
        {**environment, "ANSIBLE_VAULT_IDENTITY_LIST": ""},
    )
    return yaml.safe_load(done.stdout)["vault_bomgar_api_tokens"]


def _point_inventory_at(repository: Path, fleet) -> None:
    """The copied inventory's hosts reach the reference appliances: API URL and CA, addresses, site port."""
    hosts_file = repository / "inventories" / "production" / "hosts.yml"
    inventory = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    groups = inventory["bomgar_site"]["children"]
    by_name = {handle.hostname: handle for handle in fleet.appliances}
    for group in ("bomgar_primary", "bomgar_traffic_nodes"):
        for name, variables in groups[group]["hosts"].items():
            handle = by_name[name]
            variables.update(
                bomgar_appliance_url=handle.api_url,
                bomgar_ca_path=str(handle.ca_path),
                bomgar_ip_addresses=handle.ip_addresses,
                bomgar_site_port=handle.site_port,
            )
    assert sorted(by_name) == sorted(
        name for group in ("bomgar_primary", "bomgar_traffic_nodes") for name in groups[group]["hosts"]
    ), "the example's inventory names other appliances than the reference site has"
    hosts_file.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def user_repository(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("field")

    # The tarball, built as a release is.
    built = workdir / "built"
    ansible_galaxy = Path(sys.executable).with_name("ansible-galaxy")
    _run([ansible_galaxy, "collection", "build", "--output-path", built, ROOT], ROOT, dict(os.environ))
    tarballs = sorted(built.glob("bomgar-pki-*.tar.gz"))
    assert len(tarballs) == 1, f"ansible-galaxy collection build made {tarballs}"
    tarball = tarballs[0]

    # A scratch environment with ansible-core at the floor and cryptography, nothing else asked for.
    venv = workdir / "venv"
    _run([sys.executable, "-m", "venv", venv], workdir, dict(os.environ))
    pins = [_pinned("ansible-core"), _pinned("cryptography")]
    _run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
        workdir,
        _clean_environment(venv),
    )

    # The user's repository, its requirements.yml pointed at the tarball as its README says.
    repository = workdir / "repo"
    shutil.copytree(EXAMPLE, repository, ignore=shutil.ignore_patterns("ansible_collections", ".vault"))
    requirements = yaml.safe_load((repository / "requirements.yml").read_text(encoding="utf-8"))
    entries = [entry for entry in requirements["collections"] if entry["name"] == "bomgar.pki"]
    assert len(entries) == 1, f"requirements.yml does not install bomgar.pki once: {requirements}"
    entries[0].clear()
    entries[0].update(name=str(tarball), type="file")
    (repository / "requirements.yml").write_text(yaml.safe_dump(requirements), encoding="utf-8")
    (repository / ".vault").mkdir(mode=0o700)
    (repository / ".vault" / VAULT_IDENTITY).write_text(VAULT_PASSWORD, encoding="utf-8")
    (repository / ".vault" / VAULT_IDENTITY).chmod(0o600)

    environment = _clean_environment(venv)
    install = _run(
        [venv / "bin" / "ansible-galaxy", "collection", "install", "-r", "requirements.yml"], repository, environment
    )
    collection = repository / "collections" / "ansible_collections" / "bomgar" / "pki"
    assert (collection / "MANIFEST.json").is_file(), f"not installed into the repository:\n{install.stdout}"

    # The site, with the API tokens of the repository's vault.
    tokens = _vault_tokens(venv, repository, environment)
    site = workdir / "site"
    for hostname, token in tokens.items():
        state_dir = site / "state" / hostname
        state_dir.mkdir(parents=True, mode=0o700)
        (state_dir / "token").write_text(token + "\n", encoding="ascii")
        (state_dir / "token").chmod(0o600)
    fleet = start_fleet(site, 3)
    try:
        assert {handle.hostname: handle.token for handle in fleet.appliances} == tokens
        _point_inventory_at(repository, fleet)
        yield UserRepository(repository, venv, fleet, collection)
    finally:
        fleet.stop()


def test_the_scratch_environment_holds_only_the_floor_and_cryptography(user_repository):
    venv = user_repository.venv
    done = _run([venv / "bin" / "ansible-playbook", "--version"], venv, user_repository.environment)
    floor = _pinned("ansible-core").split("==")[1]
    assert f"[core {floor}]" in done.stdout, done.stdout
    assert str(venv / "bin" / "python") in done.stdout, done.stdout
    frozen = _run([venv / "bin" / "python", "-m", "pip", "freeze"], venv, user_repository.environment).stdout
    installed = {line.split("==")[0].lower() for line in frozen.splitlines() if "==" in line}
    assert {"ansible-core", "cryptography"} <= installed
    # None of what the reference appliance or the test tool chain brings.
    assert not installed & {"fastapi", "uvicorn", "httpx", "pytest", "ansible", "jsonschema", "molecule"}, installed
    listed = _run(
        [venv / "bin" / "ansible-galaxy", "collection", "list", "bomgar.pki"],
        user_repository.directory,
        user_repository.environment,
    )
    assert str(user_repository.collection.parent.parent) in listed.stdout, listed.stdout


def test_the_plan_says_what_would_change_and_changes_nothing(user_repository):
    repository, fleet = user_repository.directory, user_repository.fleet
    lab_ca = user_repository.playbook("playbooks/lab-ca.yml")
    assert lab_ca.returncode == 0, lab_ca.stdout[-6000:] + lab_ca.stderr[-3000:]
    assert (repository / "pki" / "issuing-ca.pem").is_file()
    installed = _tree(user_repository.collection)
    before = {handle.hostname: _appliance_state(handle) for handle in fleet.appliances}

    plan = user_repository.playbook("playbooks/site.yml", "--check", "--diff")
    output = plan.stdout + plan.stderr
    assert plan.returncode == 0, output[-8000:]
    assert not MISSING.search(output), MISSING.search(output).group(0) + "\n" + output[-8000:]
    # What would change on the primary, and why: a certificate the spec asks for and the appliance lacks.
    assert "appliance.example.com" in output
    assert re.search(r"issue|missing", output, re.I), output[-8000:]
    assert re.search(r"changed=[1-9]", output), output[-3000:]
    for token in (handle.token for handle in fleet.appliances):
        assert token not in output
    assert {handle.hostname: _appliance_state(handle) for handle in fleet.appliances} == before
    assert _tree(user_repository.collection) == installed, "the plan wrote inside the installed collection"


def test_the_apply_leaves_the_site_serving_the_new_certificate(user_repository):
    repository, fleet = user_repository.directory, user_repository.fleet
    if not (repository / "pki" / "issuing-ca.pem").is_file():
        pytest.fail("the lab CA is made by the plan's test, which must run first")
    installed = _tree(user_repository.collection)
    served_before = {handle.hostname: handle.served_fingerprints() for handle in fleet.appliances}

    apply = user_repository.playbook("playbooks/site.yml", "--diff")
    output = apply.stdout + apply.stderr
    assert apply.returncode == 0, output[-8000:]
    assert not MISSING.search(output), MISSING.search(output).group(0) + "\n" + output[-8000:]
    for token in (handle.token for handle in fleet.appliances):
        assert token not in output

    # Every address of the site serves one new certificate for the site hostname, from the lab CA.
    root = repository / "pki" / "root.pem"
    context = ssl.create_default_context(cafile=str(root))
    leaves = set()
    for handle in fleet.appliances:
        for address in handle.ip_addresses:
            with (
                socket.create_connection((address, handle.site_port), timeout=10) as raw,
                context.wrap_socket(raw, server_hostname=SITE_HOSTNAME) as tls,
            ):
                leaves.add(sha256_fingerprint(tls.getpeercert(binary_form=True)))
            chain = served_chain(address, handle.site_port, SITE_HOSTNAME)
            assert sha256_fingerprint(chain[0]) in leaves
        assert handle.served_fingerprints()[0] != served_before[handle.hostname][0], handle.hostname
    assert len(leaves) == 1, leaves
    issuing = x509.load_pem_x509_certificate((repository / "pki" / "issuing-ca.pem").read_bytes())
    served = x509.load_der_x509_certificate(served_chain(fleet.primary.ip_addresses[0], fleet.primary.site_port)[0])
    assert served.issuer == issuing.subject
    names = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert sorted(names) == ["*.example.com", SITE_HOSTNAME]

    # What the run wrote is in the repository (the support bundle for the vendor, the software not trusting the
    # lab root), never inside the installed collection.
    assert sorted(path.name for path in (repository / "bundles").iterdir()), "no support bundle in bundles/"
    assert _tree(user_repository.collection) == installed, "the apply wrote inside the installed collection"

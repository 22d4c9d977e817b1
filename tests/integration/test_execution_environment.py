# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution environment in examples/awx, and the collection's own metadata for ansible-builder.

``ansible-builder create`` turns examples/awx/execution-environment.yml into a build context, with the
collection tarball built from this checkout the way the file's header says. The context is then taken
through the two steps of its Containerfile that decide what gets installed, here on the machine instead of
in a container: the galaxy stage (``ansible-galaxy collection install -r requirements.yml``) and the
builder stage (the context's own ``introspect.py``, which collects the Python and system requirements of
every installed collection). The Python requirements it collects must be the collection's requirements.txt,
found through meta/execution-environment.yml, and the example must not repeat them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from harness import yamllint_problems
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "awx" / "execution-environment.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is not installed next to {sys.executable}: run `make venv` (requirements/test.txt)"
    return str(path)


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{argv[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _pinned(requirements: Path, package: str) -> str:
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{package}=="):
            return line.strip()
    raise AssertionError(f"{package} is not pinned in {requirements}")


def _requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a pip requirements file, without comments."""
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        requirement = text.split("#", 1)[0].strip()
        if requirement:
            lines.append(requirement)
    return lines


def _collection_metadata() -> dict:
    return yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))


def _collection_requirements() -> list[Requirement]:
    python = _collection_metadata()["dependencies"]["python"]
    return [Requirement(line) for line in _requirement_lines(ROOT / python)]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    """The build context ``ansible-builder create`` makes from the example, with this checkout's tarball."""
    workdir = tmp_path_factory.mktemp("ee")
    shutil.copy(EXAMPLE, workdir / "execution-environment.yml")
    built = workdir / "built"
    _run([_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(built), str(ROOT)], ROOT)
    (workdir / "collections").mkdir()
    shutil.copy(next(built.glob("bomgar-pki-*.tar.gz")), workdir / "collections" / "bomgar-pki.tar.gz")
    context = workdir / "context"
    done = _run(
        [
            _tool("ansible-builder"),
            "create",
            "--file",
            str(workdir / "execution-environment.yml"),
            "--context",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        workdir,
    )
    assert "No matches" not in done.stdout + done.stderr, done.stdout + done.stderr
    return context


@pytest.fixture(scope="module")
def introspected(build_context, tmp_path_factory) -> dict:
    """What the image would install: the Containerfile's galaxy and introspection steps, run on this machine.

    Returns ``{"pip": [lines], "bindep": [lines], "collections": path}``.
    """
    containerfile = (build_context / "Containerfile").read_text(encoding="utf-8")
    # The steps reproduced below are the ones the Containerfile runs.
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements\.yml", containerfile, re.M)
    assert re.search(r"^RUN \$PYCMD /output/scripts/introspect\.py introspect .*--write-pip=", containerfile, re.M)
    build = build_context / "_build"
    installed = tmp_path_factory.mktemp("ee-collections")
    install = [_tool("ansible-galaxy"), "collection", "install", "-r", "requirements.yml"]
    _run([*install, "--collections-path", str(installed)], build)
    out = tmp_path_factory.mktemp("ee-introspect")
    arguments = [sys.executable, str(build / "scripts" / "introspect.py"), "introspect"]
    if (build / "requirements.txt").exists():
        arguments.append("--user-pip=requirements.txt")
    if (build / "bindep.txt").exists():
        arguments.append("--user-bindep=bindep.txt")
    arguments += [f"--write-pip={out / 'requirements.txt'}", f"--write-bindep={out / 'bindep.txt'}", str(installed)]
    _run(arguments, build)
    read = {}
    for name in ("requirements.txt", "bindep.txt"):
        path = out / name
        read[name] = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {"pip": read["requirements.txt"], "bindep": read["bindep.txt"], "collections": installed}


def test_collection_metadata_names_files_that_ship_in_the_tarball(build_context):
    metadata = _collection_metadata()
    assert metadata["version"] == 1
    tarball = build_context / "_build" / "collections" / "bomgar-pki.tar.gz"
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert "meta/execution-environment.yml" in names
    for kind, path in metadata["dependencies"].items():
        assert kind in ("python", "system"), f"unexpected dependency kind {kind} in meta/execution-environment.yml"
        assert (ROOT / path).is_file(), f"meta/execution-environment.yml names {path}, which does not exist"
        assert path in names, f"{path} is not in the collection tarball (galaxy.yml build_ignore?)"


def test_the_tarball_ships_what_a_user_needs_and_nothing_of_the_development_tree(build_context):
    tarball = build_context / "_build" / "collections" / "bomgar-pki.tar.gz"
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    roles = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())
    shipped = {"CHANGELOG.rst", "changelogs/changelog.yaml", "reference_appliance/requirements.txt", "README.md"}
    shipped |= {f"roles/{role}/README.md" for role in roles}
    assert shipped <= names, sorted(shipped - names)
    left_out = ("tests", "examples", "benchmarks", "scripts", "requirements", "extensions", "build", "bundles")
    unwanted = [
        name
        for name in names
        if name.split("/", 1)[0] in left_out
        or name.startswith(".venv")
        or "__pycache__" in name.split("/")
        or name.endswith(".plugin-cache.yaml")
        or name in ("Makefile", "galaxy-importer.cfg")
    ]
    assert not unwanted, sorted(unwanted)[:20]


def test_collection_requirements_are_what_the_modules_import_in_the_range_the_tests_run():
    requirements = _collection_requirements()
    assert [requirement.name for requirement in requirements] == ["cryptography"]
    (cryptography,) = requirements
    # Both test legs run a version inside the range, and the range keeps the documented floor.
    for pins in ("test.txt", "py313.txt"):
        version = _pinned(ROOT / "requirements" / pins, "cryptography").split("==", 1)[1]
        assert cryptography.specifier.contains(version), f"{version} ({pins}) is outside {cryptography}"
    assert not cryptography.specifier.contains("41.0.7")
    assert cryptography.specifier.contains("42.0.0")


def test_introspection_of_the_installed_collection_finds_its_requirements(introspected):
    installed = introspected["collections"] / "ansible_collections" / "bomgar" / "pki"
    assert (installed / "meta" / "execution-environment.yml").is_file()
    from_collection = [line for line in introspected["pip"] if line.endswith("# from collection bomgar.pki")]
    found = sorted(Requirement(line.split("#", 1)[0].strip()) for line in from_collection)
    assert [str(requirement) for requirement in found] == sorted(str(r) for r in _collection_requirements())
    # Nothing else asks for cryptography: the example does not repeat it.
    assert [line for line in introspected["pip"] if line.startswith("cryptography")] == from_collection


def test_the_example_does_not_repeat_the_collection_requirements(build_context):
    example = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert "python" not in example["dependencies"]
    user_requirements = build_context / "_build" / "requirements.txt"
    if user_requirements.exists():
        assert not any(line.startswith("cryptography") for line in _requirement_lines(user_requirements))


def test_execution_environment_context_holds_the_collection(build_context):
    tarball = build_context / "_build" / "collections" / "bomgar-pki.tar.gz"
    with tarfile.open(tarball) as archive:
        manifest = yaml.safe_load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "bomgar"
    assert manifest["collection_info"]["name"] == "pki"
    requirements = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": "collections/bomgar-pki.tar.gz", "type": "file"} in requirements["collections"]


def test_execution_environment_installs_the_tested_ansible_core_on_python_3_11(build_context):
    containerfile = (build_context / "Containerfile").read_text(encoding="utf-8")
    assert _pinned(ROOT / "requirements" / "test.txt", "ansible-core") in containerfile
    assert "/usr/bin/python3.11" in containerfile
    assert "ansible-galaxy collection install" in containerfile


def test_execution_environment_example_passes_yamllint():
    awx = ROOT / "examples" / "awx"
    checked = (
        EXAMPLE,
        ROOT / "meta" / "execution-environment.yml",
        awx / "credential-type.yml",
        awx / "credential-type-web.yml",
    )
    for path in checked:
        problems = yamllint_problems(path)
        assert not problems, problems

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_cert_import with ``bind`` through ansible-playbook against reference appliances.

The files are made with the PKI core (a root, an issuing CA, a server certificate
and its key, exported as a PKCS#12 with ``keys.export_pkcs12``). The import binds
the server certificate to IP addresses of the appliance and asks each address
over TLS what it serves; refusals happen before anything is uploaded, and a
failed served check leaves the imported certificate on the appliance with what
each address served before and after.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import socket
from dataclasses import dataclass
from pathlib import Path

import serving_material
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from harness import api_state, secrets_of

ADDRESSES = ["127.0.0.2", "127.0.0.3"]
DAY = serving_material.DAY
UTC = datetime.timezone.utc
PASSPHRASE = "bind-Passphrase-2026"
# The first is sent as the server name when the addresses are checked; the second is covered by the wildcard.
HOSTNAMES = ["support.example.com", "node1.nodes.example.com"]
SANS = ["DNS:support.example.com", "DNS:*.nodes.example.com"]


def fingerprint_of(cert) -> str:
    der = cert.public_bytes(serialization.Encoding.DER)
    return ":".join(f"{byte:02x}" for byte in hashlib.sha256(der).digest())


@dataclass
class Material:
    """What a CA hands over: the PKCS#12 file (leaf, key, chain), and the pieces it was made of."""

    p12: Path
    key: object
    leaf: object
    issuing: object
    root: object

    @property
    def leaf_fp(self) -> str:
        return fingerprint_of(self.leaf)

    @property
    def issuing_fp(self) -> str:
        return fingerprint_of(self.issuing)

    @property
    def root_fp(self) -> str:
        return fingerprint_of(self.root)

    def key_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM: what must never be shown."""
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")


def make_material(directory: Path, common_name: str = "support.example.com") -> Material:
    """A root, an issuing CA and a server certificate for SANS, with the PKI core; the leaf as a PKCS#12 file."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = keys.KeySpec.create("ec")
    root_key = keys.generate_private_key(spec)
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name="Bind Test Root"), path_length=1
    )
    issuing_key = keys.generate_private_key(spec)
    issuing = builder.create_ca_certificate(
        issuing_key,
        subject_fields.SubjectSpec(common_name="Bind Test Issuing"),
        days=1000,
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
    )
    key = keys.generate_private_key(spec)
    csr = builder.build_csr(key, subject_fields.SubjectSpec(common_name=common_name, organization_name="Example"), SANS)
    leaf = builder.sign_csr(csr, issuing, issuing_key, days=90)
    p12 = directory / "support.p12"
    p12.write_bytes(keys.export_pkcs12(key, leaf, [issuing, root], passphrase=PASSPHRASE))
    return Material(p12, key, leaf, issuing, root)


def import_task(title, check_mode=None, **args):
    task = {"name": title, "bomgar.pki.appliance_cert_import": args, "ignore_errors": True}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def bind_import(title, material: Material, bind: dict, **args):
    """Import the PKCS#12 and bind it as ``bind`` says."""
    return import_task(title, src=[str(material.p12)], passphrase=PASSPHRASE, bind=bind, **args)


# Lists every certificate as the modules see it over the test's transport, after the tasks before it.
LISTED = {"name": "listed", "bomgar.pki.appliance_certificate_info": {"gather": ["certificates"]}}


def listed_ids(run, handle, transport) -> dict:
    """``{fingerprint: id}`` of task 'listed': the ids the modules give over the test's transport (over the API,
    the appliance's own ids); the same certificates as the appliance lists."""
    ids = {cert["sha256_fingerprint"]: cert["id"] for cert in run.result("listed")["certificates"]}
    on_appliance = certificates_by_fingerprint(handle)
    assert set(ids) == set(on_appliance)
    assert len(set(ids.values())) == len(ids), "one id per certificate"
    if transport == "api":
        assert ids == {fingerprint: cert["id"] for fingerprint, cert in on_appliance.items()}
    return ids


def certificates_by_fingerprint(handle) -> dict:
    with handle.client() as client:
        return {cert["sha256_fingerprint"]: cert for cert in client.get("certificates").json()}


def factory_default(handle) -> dict:
    with handle.client() as client:
        return next(cert for cert in client.get("certificates").json() if cert["factory_default"])


def served_ids(handle) -> dict:
    """``{address: certificate id}`` as the appliance lists it."""
    with handle.client() as client:
        return {entry["address"]: entry["certificate_id"] for entry in client.get("network/ip-addresses").json()}


def closed_port(address: str = "127.0.0.2") -> int:
    """A port on ``address`` that nothing listens on (bound once to find it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def test_pkcs12_imported_bound_verified_and_idempotent(appliance_factory, play, tmp_path, transport):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    material = make_material(tmp_path / "pki")
    default = factory_default(appliance)
    # No site_port: the module asks the appliance for it (status/basics).
    bind = {"ip_addresses": ADDRESSES, "hostnames": HOSTNAMES}
    run = play(
        {"appliance": appliance},
        [
            bind_import("import and bind", material, bind, friendly_name="support 2026"),
            bind_import("again", material, bind, friendly_name="support 2026"),
            LISTED,
        ],
    )

    done = run.result("import and bind")
    assert not done["failed"], done.get("msg")
    assert done["changed"] is True
    assert [item["format"] for item in done["items"]] == ["pkcs12"] * 4
    assert sorted(done["imported"]) == sorted([material.leaf_fp, material.issuing_fp, material.root_fp])
    assert done["chain"]["fingerprints"] == [material.leaf_fp, material.issuing_fp, material.root_fp]
    assert done["chain_status"] == "complete"
    assert done["certificate"]["sha256_fingerprint"] == material.leaf_fp
    assert done["certificate"]["friendly_name"] == "support 2026"
    assert done["certificate"]["ip_addresses"] == ADDRESSES

    binding = done["binding"]
    assert binding["changed"] is True
    assert binding["ip_addresses"] == ADDRESSES
    assert binding["served"] == {address: [material.leaf_fp, material.issuing_fp] for address in ADDRESSES}
    assert sorted(done["bindings"]) == ADDRESSES
    assert done["bindings"] == binding["bindings"]
    stored = certificates_by_fingerprint(appliance)[material.leaf_fp]
    ids = listed_ids(run, appliance, transport)
    assert done["certificate"]["id"] == ids[material.leaf_fp]
    for address in ADDRESSES:
        before, after = done["bindings"][address]["before"], done["bindings"][address]["after"]
        assert before == {
            "certificate_id": ids[default["sha256_fingerprint"]],
            "friendly_name": default["friendly_name"],
            "sha256_fingerprint": default["sha256_fingerprint"],
            "factory_default": True,
        }
        assert after == {
            "certificate_id": ids[material.leaf_fp],
            "friendly_name": "support 2026",
            "sha256_fingerprint": material.leaf_fp,
            "factory_default": False,
        }
        # what a TLS client is shown now: the leaf first, then its issuer
        assert appliance.served_fingerprints(address) == [material.leaf_fp, material.issuing_fp]
    assert served_ids(appliance) == {address: stored["id"] for address in ADDRESSES}
    assert stored["private_key_available"] is True
    assert PASSPHRASE not in str(done) and "PRIVATE KEY" not in str(done)

    again = run.result("again")
    assert not again["failed"], again.get("msg")
    assert again["changed"] is False
    assert again["binding"]["changed"] is False
    assert again["imported"] == [] and material.leaf_fp in again["unchanged"]
    assert again["binding"]["served"] == binding["served"]
    assert {address: view["after"] for address, view in again["bindings"].items()} == {
        address: view["after"] for address, view in done["bindings"].items()
    }


def test_refused_before_upload_naming_problem_and_fix(appliance, play, tmp_path):
    material = make_material(tmp_path / "pki")
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        [
            bind_import("not an address", material, {"ip_addresses": ["support.example.com"]}),
            bind_import("unknown address", material, {"ip_addresses": ["127.0.0.2", "127.0.0.99"]}),
            bind_import(
                "uncovered hostname",
                material,
                {"ip_addresses": ["127.0.0.2"], "hostnames": ["support.example.com", "remote.example.org"]},
            ),
            bind_import(
                "wildcard covers one label",
                material,
                {"ip_addresses": ["127.0.0.2"], "hostnames": ["a.b.nodes.example.com"]},
            ),
            import_task(
                "no server certificate",
                content=[material.root.public_bytes(serialization.Encoding.PEM).decode("ascii")],
                bind={"ip_addresses": ["127.0.0.2"]},
            ),
        ],
    )
    assert api_state(appliance) == before, "a refused bind uploaded or bound something"
    expectations = {
        "not an address": [
            "bind.ip_addresses 'support.example.com' is not an IP address",
            "name the hostnames in bind.hostnames",
            "Nothing was uploaded",
        ],
        "unknown address": [
            "The appliance has no IP address 127.0.0.99 (it has 127.0.0.2)",
            "Correct bind.ip_addresses",
            "Nothing was uploaded",
        ],
        "uncovered hostname": [
            "does not cover bind.hostnames remote.example.org:",
            "DNS:support.example.com, DNS:*.nodes.example.com",
            "correct bind.hostnames",
            "Nothing was uploaded",
        ],
        "wildcard covers one label": ["a.b.nodes.example.com", "a wildcard covers exactly one label"],
        "no server certificate": ["bind needs a server certificate", "import without bind"],
    }
    for title, fragments in expectations.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, (title, result.get("msg"))
        for fragment in fragments:
            assert fragment in result["msg"], (title, fragment, result["msg"])
        assert PASSPHRASE not in str(result), title
    assert run.result("unknown address")["unknown"] == ["127.0.0.99"]
    assert run.result("uncovered hostname")["uncovered"] == ["remote.example.org"]
    assert run.result("wildcard covers one label")["uncovered"] == ["a.b.nodes.example.com"]
    assert material.leaf_fp not in certificates_by_fingerprint(appliance)


def test_check_mode_skips_binding_of_a_certificate_not_yet_there(appliance_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    hosts = {"appliance": appliance}
    material = make_material(tmp_path / "pki")
    default_fp = factory_default(appliance)["sha256_fingerprint"]
    bind = {"ip_addresses": ADDRESSES, "hostnames": HOSTNAMES, "site_port": "{{ bomgar_site_port }}"}

    before = api_state(appliance)
    check = play(hosts, [bind_import("predicted", material, bind)], check=True)
    assert api_state(appliance) == before, "check mode wrote to the appliance"
    predicted = check.result("predicted")
    assert not predicted["failed"], predicted.get("msg")
    assert predicted["changed"] is True
    assert material.leaf_fp in predicted["imported"]
    assert predicted["binding"]["skipped"] is True
    assert "check mode" in predicted["binding"]["skip_reason"]
    assert predicted["bindings"] == {}
    assert predicted["certificate"]["sha256_fingerprint"] == material.leaf_fp
    for address in ADDRESSES:
        assert appliance.served_fingerprints(address) == [default_fp]

    # Once the certificate is there, check mode predicts the binding (and still changes nothing).
    play(hosts, [import_task("import only", src=[str(material.p12)], passphrase=PASSPHRASE)])
    before = api_state(appliance)
    check = play(hosts, [bind_import("binding predicted", material, bind)], check=True)
    assert api_state(appliance) == before, "check mode bound the certificate"
    predicted = check.result("binding predicted")
    assert not predicted["failed"], predicted.get("msg")
    assert predicted["changed"] is True and predicted["imported"] == []
    assert "skipped" not in predicted["binding"]
    assert predicted["binding"]["changed"] is True and predicted["binding"]["served"] == {}
    assert {address: view["after"]["sha256_fingerprint"] for address, view in predicted["bindings"].items()} == {
        address: material.leaf_fp for address in ADDRESSES
    }
    for address in ADDRESSES:
        assert appliance.served_fingerprints(address) == [default_fp]


def test_diff_shows_certificates_and_bindings(appliance, play, tmp_path, transport):
    material = make_material(tmp_path / "pki")
    default = factory_default(appliance)
    bind = {"ip_addresses": ["127.0.0.2"], "hostnames": HOSTNAMES[:1], "site_port": "{{ bomgar_site_port }}"}
    run = play(
        {"appliance": appliance}, [bind_import("bind", material, bind, friendly_name="diffed"), LISTED], diff=True
    )
    ids = listed_ids(run, appliance, transport)
    result = run.result("bind")
    assert not result["failed"], result.get("msg")
    diff = result["diff"]
    assert diff["before"]["certificates"] == []
    after_certificates = {entry["sha256_fingerprint"] for entry in diff["after"]["certificates"]}
    assert after_certificates == {material.leaf_fp, material.issuing_fp, material.root_fp}
    assert diff["before"]["bindings"] == {
        "127.0.0.2": {
            "certificate_id": ids[default["sha256_fingerprint"]],
            "friendly_name": default["friendly_name"],
            "sha256_fingerprint": default["sha256_fingerprint"],
            "factory_default": True,
        }
    }
    assert diff["after"]["bindings"]["127.0.0.2"]["sha256_fingerprint"] == material.leaf_fp
    assert diff["after"]["bindings"]["127.0.0.2"]["friendly_name"] == "diffed"
    assert diff["after"]["bindings"]["127.0.0.2"]["certificate_id"] == ids[material.leaf_fp]
    assert diff["after"]["bindings"] == {address: view["after"] for address, view in result["bindings"].items()}
    assert "diff" not in result["binding"], "the binding's diff is merged into the task's diff"
    assert "--- before" in run.stdout and "bindings" in run.stdout, "ansible-playbook --diff showed no diff"


def test_failed_served_check_keeps_the_import_and_reports_bindings(appliance, play, tmp_path, transport):
    material = make_material(tmp_path / "pki")
    default = factory_default(appliance)
    port = closed_port()
    bind = {"ip_addresses": ["127.0.0.2"], "hostnames": HOSTNAMES, "site_port": port, "verify_timeout": 3}
    run = play({"appliance": appliance}, [bind_import("closed port", material, bind), LISTED])
    ids = listed_ids(run, appliance, transport)
    result = run.result("closed port")
    assert result["failed"]
    assert result["changed"] is True, "the certificate was imported and bound; only the check after it failed"
    assert f"127.0.0.2:{port}" in result["msg"] and f"site_port {port}" in result["msg"]
    assert "verify_served: false" in result["msg"]
    # what a caller needs to roll back: what was served before, and that the import stays
    assert result["bindings"] == {
        "127.0.0.2": {
            "before": {
                "certificate_id": ids[default["sha256_fingerprint"]],
                "friendly_name": default["friendly_name"],
                "sha256_fingerprint": default["sha256_fingerprint"],
                "factory_default": True,
            },
            "after": result["bindings"]["127.0.0.2"]["after"],
        }
    }
    assert result["bindings"]["127.0.0.2"]["after"]["sha256_fingerprint"] == material.leaf_fp
    assert result["bindings"]["127.0.0.2"]["after"]["certificate_id"] == ids[material.leaf_fp]
    assert result["binding"]["bindings"] == result["bindings"]
    assert result["binding"]["served"] == {}, "nothing answered on the closed port"
    assert material.leaf_fp in result["imported"]
    assert result["certificate"]["sha256_fingerprint"] == material.leaf_fp
    stored = certificates_by_fingerprint(appliance)
    assert material.leaf_fp in stored and stored[material.leaf_fp]["private_key_available"] is True
    assert served_ids(appliance)["127.0.0.2"] == stored[material.leaf_fp]["id"]
    # on the real site port the binding took effect
    assert appliance.served_fingerprints("127.0.0.2") == [material.leaf_fp, material.issuing_fp]


def test_no_secret_in_verbose_output(appliance, play, tmp_path):
    material = make_material(tmp_path / "pki")
    content = base64.b64encode(material.p12.read_bytes()).decode("ascii")
    bind = {"ip_addresses": ["127.0.0.2"], "hostnames": HOSTNAMES, "site_port": "{{ bomgar_site_port }}"}
    failing = {**bind, "site_port": closed_port(), "verify_timeout": 3}
    tasks = [
        import_task("from file", src=[str(material.p12)], passphrase="{{ p12_passphrase }}", bind=bind),
        import_task("inline, check failing", content=[content], passphrase="{{ p12_passphrase }}", bind=failing),
    ]
    run = play({"appliance": appliance}, tasks, verbosity=3, diff=True, extra_vars={"p12_passphrase": PASSPHRASE})

    assert run.rc == 0, run.stdout[-3000:]
    assert "<appliance>" in run.stdout or "task path" in run.stdout.lower(), "the run was not verbose"
    done = run.result("from file")
    assert not done["failed"] and done["changed"] is True, done.get("msg")
    assert done["binding"]["served"]["127.0.0.2"][0] == material.leaf_fp
    assert run.result("inline, check failing")["failed"]

    key_lines = [line for line in material.key_pem().splitlines() if line and not line.startswith("-----")]
    fragments = {
        "passphrase": PASSPHRASE,
        "PEM private key marker": "PRIVATE KEY-----",
        "PKCS#12 (base64)": content[40:100],
        **{f"key PEM line {number}": line for number, line in enumerate(key_lines, 1)},
        **{f"credential {number}": secret for number, secret in enumerate(secrets_of(appliance), 1)},
    }
    places = {"stdout": run.stdout, "stderr": run.stderr, "recorded results": json.dumps(run.results)}
    leaks = [
        f"{label} in {place}"
        for label, fragment in fragments.items()
        for place, text in places.items()
        if fragment in text
    ]
    assert not leaks, leaks


def test_failed_check_after_binding_an_existing_certificate_reports_changed(appliance, play, tmp_path):
    material = make_material(tmp_path / "pki")
    hosts = {"appliance": appliance}
    play(hosts, [import_task("import only", src=[str(material.p12)], passphrase=PASSPHRASE)])
    leaf_id = certificates_by_fingerprint(appliance)[material.leaf_fp]["id"]
    assert served_ids(appliance)["127.0.0.2"] != leaf_id
    bind = {"ip_addresses": ["127.0.0.2"], "site_port": closed_port(), "verify_timeout": 3}
    run = play(hosts, [bind_import("closed port", material, bind)])
    result = run.result("closed port")
    assert result["failed"] and result["imported"] == []
    assert served_ids(appliance)["127.0.0.2"] == leaf_id, "the binding was written"
    assert result["bindings"]["127.0.0.2"]["after"]["sha256_fingerprint"] == material.leaf_fp
    assert result["changed"] is True, "the appliance changed: the address serves another certificate now"


def test_certificate_without_its_key_refused_before_upload(appliance, play, tmp_path):
    material = make_material(tmp_path / "pki")
    pem = material.leaf.public_bytes(serialization.Encoding.PEM).decode("ascii")
    before = api_state(appliance)
    run = play({"appliance": appliance}, [import_task("keyless", content=[pem], bind={"ip_addresses": ["127.0.0.2"]})])
    result = run.result("keyless")
    assert result["failed"] and "private key" in result["msg"], result.get("msg")
    assert "Nothing was uploaded" in result["msg"] and "PKCS#12" in result["msg"]
    assert api_state(appliance) == before, "the certificate was uploaded before the binding was refused"


def unservable_p12(directory: Path, name: str, **defects) -> tuple[Path, object]:
    """A PKCS#12 (server certificate with one defect, its key, the chain) and what it was made of."""
    made = serving_material.chain(**defects)
    path = directory / f"{name}.p12"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        keys.export_pkcs12(made.leaf_key, made.leaf, [made.intermediate, made.root], passphrase=PASSPHRASE)
    )
    return path, made


UNSERVABLE = {
    "expired": ({"not_before": serving_material.NOW - 60 * DAY, "not_after": serving_material.NOW - DAY}, "expired on"),
    "valid from 2040": (
        {
            "not_before": datetime.datetime(2040, 1, 1, tzinfo=UTC),
            "not_after": datetime.datetime(2041, 1, 1, tzinfo=UTC),
        },
        "is not valid before 2040-01-01",
    ),
    "sha1": ({"leaf_weak": "sha1"}, "is signed with SHA-1, which TLS clients refuse and the appliance's TLS listener"),
    "sha1 intermediate": ({"intermediate_weak": "sha1"}, "intermediate 'CN=Serving Test Issuing,O=Serving Test' is"),
    "no alternative name": ({"sans": ()}, "it has no subject alternative names"),
    "client auth only": ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "lacks serverAuth (it has clientAuth)"),
}


def test_a_certificate_that_cannot_be_served_is_refused_before_upload(appliance, play, tmp_path):
    tasks = []
    for title, (defects, _words) in UNSERVABLE.items():
        p12, _made = unservable_p12(tmp_path / "pki", title.replace(" ", "-"), **defects)
        tasks.append(import_task(title, src=[str(p12)], passphrase=PASSPHRASE, bind={"ip_addresses": ["127.0.0.2"]}))
    before = api_state(appliance)
    run = play({"appliance": appliance}, tasks)
    assert api_state(appliance) == before, "a certificate that cannot be served was uploaded or bound"
    for title, (_defects, words) in UNSERVABLE.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        assert "cannot be served on an IP address" in result["msg"], (title, result["msg"])
        assert words in result["msg"], (title, result["msg"])
        assert "bind is set, so nothing was uploaded" in result["msg"], title
        assert result["serving"] and all(reason["code"] for reason in result["serving"]), title
    # what a TLS client sees on the address did not change: the factory default still answers
    assert appliance.served_fingerprints("127.0.0.2") == [factory_default(appliance)["sha256_fingerprint"]]


def test_without_bind_such_a_certificate_is_imported_with_a_warning(appliance, play, tmp_path):
    p12, made = unservable_p12(tmp_path / "pki", "expired", **UNSERVABLE["expired"][0])
    run = play({"appliance": appliance}, [import_task("import", src=[str(p12)], passphrase=PASSPHRASE)])
    result = run.result("import")
    assert not result["failed"] and result["changed"] is True, result.get("msg")
    assert any(
        "cannot be served on an IP address: it expired on" in warning
        and "It is imported, but binding it to an IP address will be refused." in warning
        for warning in result["warnings"]
    ), result.get("warnings")
    assert fingerprint_of(made.leaf) in certificates_by_fingerprint(appliance)

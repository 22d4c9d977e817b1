# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_cert_import: what it refuses or warns about, and that its messages say what is wrong.

docs/procedure.md, "What the collection refuses, and what it warns about": certificates
that cannot be served are imported with a warning (refused with bind); inputs that
would import nothing are refused; an incomplete chain names what is really wrong;
an openssl PKCS#7 bundle imports without noise on stderr.
"""

from __future__ import annotations

import base64
import os

import import_material as material
import serving_material
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from harness import api_state


def import_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_cert_import": args, "ignore_errors": True}


def pem_of(*certs) -> list[str]:
    return [cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in certs]


def warnings_of(result) -> str:
    return " | ".join(result.get("warnings") or [])


ODD = {
    "no alternative name": ({"sans": ()}, "it has no subject alternative names, so it covers no hostname"),
    "common name only an IP address": (
        {"hostname": "127.0.0.5", "sans": ()},
        "its common name '127.0.0.5' is an IP address, but clients read only the alternative names",
    ),
    "client auth only": ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "lacks serverAuth (it has clientAuth)"),
    "malformed wildcards": (
        {"sans": ("DNS:*.*.example.com", "DNS:*.com", "DNS:foo.*.example.com")},
        "none of its subject alternative names (DNS:*.*.example.com, DNS:*.com, DNS:foo.*.example.com)",
    ),
}


def test_certificates_that_cannot_be_served_are_imported_with_a_warning(appliance, play):
    tasks = []
    for title, (defects, _words) in ODD.items():
        made = serving_material.chain(**defects)
        tasks.append(import_task(title, content=pem_of(made.leaf, made.intermediate, made.root)))
    mixed = serving_material.chain(
        sans=("DNS:support.example.com", "email:ops@example.com", "URI:https://support.example.com/")
    )
    tasks.append(import_task("email and uri", content=pem_of(mixed.leaf, mixed.intermediate, mixed.root)))
    run = play({"appliance": appliance}, tasks)
    for title, (_defects, words) in ODD.items():
        result = run.result(title)
        assert not result["failed"] and result["changed"] is True, (title, result.get("msg"))
        warned = warnings_of(result)
        assert "cannot be served on an IP address" in warned and words in warned, (title, warned)
        assert "It is imported, but binding it to an IP address will be refused." in warned, title
    mixed_result = run.result("email and uri")
    assert not mixed_result["failed"]
    warned = warnings_of(mixed_result)
    assert "neither DNS names nor IP addresses (email:ops@example.com, URI:https://support.example.com/)" in warned
    assert "cannot be served" not in warned


def test_inputs_that_would_import_nothing_are_refused(appliance, play, tmp_path):
    made = serving_material.chain()
    empty = tmp_path / "drop"
    empty.mkdir()
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        [
            import_task("src empty list", src=[]),
            import_task("content empty list", content=[], src=[str(empty)]),
            import_task("empty folder", src=[str(empty)]),
            import_task("empty friendly name", content=pem_of(made.leaf), friendly_name=""),
            import_task("padded friendly name", content=pem_of(made.leaf), friendly_name="support "),
        ],
    )
    assert api_state(appliance) == before, "a refused import changed the appliance"
    expected = {
        "src empty list": "src is an empty list, so there is nothing to import",
        "content empty list": "content is an empty list, so there is nothing to import",
        "empty folder": "Nothing to import: src names no file that holds a certificate or a key (the folder is empty)",
        "empty friendly name": "friendly_name is empty",
        "padded friendly name": "has leading or trailing whitespace",
    }
    for title, words in expected.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        assert words in result["msg"], (title, result["msg"])


def _ca(common_name, key, issuer=None, issuer_key=None):
    subject = subject_fields.SubjectSpec(common_name=common_name, organization_name="Example")
    return builder.create_ca_certificate(key, subject, issuer_cert=issuer, issuer_key=issuer_key)


def _ec():
    return keys.generate_private_key(keys.KeySpec.create("ec"))


def _leaf(issuer, issuer_key, hostname="support.example.com"):
    csr = builder.build_csr(_ec(), subject_fields.SubjectSpec(common_name=hostname), [f"DNS:{hostname}"])
    return builder.sign_csr(csr, issuer, issuer_key)


def test_an_incomplete_chain_says_what_is_really_wrong(appliance, play, tmp_path):
    root_key, issuing_key = _ec(), _ec()
    root = _ca("Real Root", root_key)
    issuing = _ca("Real Issuing", issuing_key, root, root_key)
    leaf = _leaf(issuing, issuing_key)
    impostor = _ca("Real Issuing", _ec(), root, root_key)  # the same name, another key
    key_a, key_b = _ec(), _ec()
    loop_b = _ca("Loop B", key_b)
    loop_a = _ca("Loop A", key_a, loop_b, key_b)
    loop_b = _ca("Loop B", key_b, loop_a, key_a)
    looped = _leaf(loop_a, key_a, "loop.example.com")
    fifo = tmp_path / "answer.pem"
    os.mkfifo(fifo)
    cut = base64.encodebytes(leaf.public_bytes(serialization.Encoding.DER)[:200]).decode("ascii")
    run = play(
        {"appliance": appliance},
        [
            import_task("wrong intermediate", content=pem_of(leaf, impostor, root)),
            import_task("loop", content=pem_of(looped, loop_a, loop_b)),
            import_task("a pipe", src=[str(fifo)]),
            import_task("cut short", content=[f"-----BEGIN CERTIFICATE-----\n{cut}-----END CERTIFICATE-----\n"]),
        ],
    )
    wrong = warnings_of(run.result("wrong intermediate"))
    assert "neither in the files nor on the appliance" not in wrong
    assert "has the issuer's name but its key does not verify the signature of 'CN=support.example.com'" in wrong
    assert "not those of an older or another CA with the same name" in wrong
    loop = warnings_of(run.result("loop"))
    assert "neither in the files nor on the appliance" not in loop
    assert "issue each other in a loop and no self-signed root ends it" in loop
    pipe = run.result("a pipe")
    assert pipe["failed"] and "is a named pipe (FIFO), neither a file nor a folder" in pipe["msg"], pipe["msg"]
    assert "does not exist" not in pipe["msg"]
    cut_result = run.result("cut short")
    assert cut_result["failed"] and "the data ends too early; the file is cut short" in cut_result["msg"]
    assert "ParseError" not in cut_result["msg"] and "ShortData" in cut_result["details"]["parser_detail"]


def test_an_openssl_pkcs7_bundle_imports_without_noise_on_stderr(appliance, play, tmp_path):
    ca = material.make_ca(tmp_path / "ca")
    key, leaf = ca.issue("bundled", "support.example.com")
    bundles = [
        material.pkcs7([leaf, ca.intermediate, ca.root], tmp_path / "forward.p7b", der=True),
        material.pkcs7([ca.root, ca.intermediate, leaf], tmp_path / "backward.p7b", der=True),
        material.pkcs7([ca.root, leaf, ca.intermediate], tmp_path / "mixed.p7c", der=False),
    ]
    run = play({"appliance": appliance}, [import_task(path.name, src=[str(path), str(key)]) for path in bundles])
    for path in bundles:
        result = run.result(path.name)
        assert not result["failed"], result.get("msg")
        assert [item["format"] for item in result["items"]][:3] in (["pkcs7_der"] * 3, ["pkcs7_pem"] * 3)
    assert "errantly sent data directly to stderr" not in run.stdout + run.stderr
    assert "could not be parsed as DER" not in run.stdout + run.stderr

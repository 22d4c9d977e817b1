# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The decisions of appliance_cert_import, without an appliance."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import cert_import_inputs, cert_import_plan
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, chain, formats, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import (
    certificate_fingerprint,
    public_key_fingerprint,
)
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

AIA_URL = "http://pki.example.com/issuing.cer"


def _key():
    return keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))


@pytest.fixture(scope="module")
def pki():
    """A root, an intermediate (with AIA to the root) and a server certificate with AIA to the intermediate."""
    root_key, issuing_key, leaf_key = _key(), _key(), _key()
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name="Unit Root CA", organization_name="U")
    )
    issuing = builder.create_ca_certificate(
        issuing_key,
        subject_fields.SubjectSpec(common_name="Unit Issuing CA", organization_name="U"),
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
    )
    csr = builder.build_csr(leaf_key, subject_fields.SubjectSpec(common_name="Support"), ["DNS:support.example.com"])
    leaf = builder.sign_csr(csr, issuing, issuing_key, ca_issuers_url=AIA_URL)
    return {"root": root, "issuing": issuing, "leaf": leaf, "leaf_key": leaf_key}


def appliance_cert(cert, private_key_available=True, **extra):
    """A certificate as GET certificates lists it (the fields the decisions read)."""
    return {
        "id": certificate_fingerprint(cert).replace(":", "")[:16],
        "sha256_fingerprint": certificate_fingerprint(cert),
        "public_key_fingerprint": public_key_fingerprint(cert.public_key()),
        "private_key_available": private_key_available,
        **extra,
    }


# --- content -------------------------------------------------------------------------------------


def test_content_pem_text_is_kept_as_is(pki):
    pem = pki["leaf"].public_bytes(Encoding.PEM).decode()
    assert (
        cert_import_inputs.decode_content("Bag Attributes\n" + pem, "content[0]") == ("Bag Attributes\n" + pem).encode()
    )


def test_content_base64_is_the_binary_file(pki):
    der = pki["leaf"].public_bytes(Encoding.DER)
    wrapped = base64.encodebytes(der).decode()  # with line breaks, as base64(1) writes it
    assert cert_import_inputs.decode_content(wrapped, "content[1]") == der


@pytest.mark.parametrize("text", ["not base64 at all!", "", "   "])
def test_content_that_is_neither_names_the_entry_and_the_fix(text):
    with pytest.raises(ValueError, match=r"content\[2\] is neither PEM text .* nor base64.*slurp"):
        cert_import_inputs.decode_content(text, "content[2]")


def test_size_limit_is_one_mebibyte():
    assert cert_import_inputs.check_size(1024 * 1024, "a.pem") is None
    message = cert_import_inputs.check_size(1024 * 1024 + 1, "a.pem")
    assert "'a.pem' is 1048577 bytes" in message and "1 MiB" in message


def test_item_summary_describes_without_key_material(pki):
    pem = pki["leaf_key"].private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    item = formats.load_bytes(pem, source="support.key")[0]
    summary = cert_import_inputs.item_summary(item)
    assert summary["kind"] == "private_key" and summary["format"] == "pkcs8_pem" and summary["source"] == "support.key"
    assert "EC P-256" in summary["description"] and "BEGIN" not in summary["description"]


# --- keys and certificates -----------------------------------------------------------------------


def test_a_key_for_a_certificate_in_the_files_is_not_an_orphan(pki):
    fingerprint = public_key_fingerprint(pki["leaf_key"])
    assert cert_import_plan.orphan_key({fingerprint: "k.pem"}, {fingerprint}, []) is None


def test_a_key_for_a_certificate_on_the_appliance_is_not_an_orphan(pki):
    fingerprint = public_key_fingerprint(pki["leaf_key"])
    on_appliance = [appliance_cert(pki["leaf"], private_key_available=False)]
    assert cert_import_plan.orphan_key({fingerprint: "k.pem"}, set(), on_appliance) is None


def test_a_key_without_any_certificate_is_named_with_its_file(pki):
    fingerprint = public_key_fingerprint(pki["leaf_key"])
    other = appliance_cert(pki["root"])
    assert cert_import_plan.orphan_key({fingerprint: "k.pem"}, set(), [other]) == (fingerprint, "k.pem")


def _files(*certs):
    return {certificate_fingerprint(c): public_key_fingerprint(c.public_key()) for c in certs}


def test_everything_new_is_imported(pki):
    prediction = cert_import_plan.predict_import(_files(pki["leaf"], pki["issuing"]), {}, [], [])
    assert prediction.changed
    assert prediction.imported == list(_files(pki["leaf"], pki["issuing"])) and prediction.unchanged == []


def test_certificates_already_there_change_nothing(pki):
    present = [appliance_cert(pki["leaf"]), appliance_cert(pki["issuing"], private_key_available=False)]
    prediction = cert_import_plan.predict_import(_files(pki["leaf"], pki["issuing"]), {}, present, [])
    assert not prediction.changed and prediction.imported == [] and len(prediction.unchanged) == 2


def test_the_missing_root_is_the_only_change(pki):
    present = [appliance_cert(pki["leaf"]), appliance_cert(pki["issuing"], private_key_available=False)]
    files = _files(pki["issuing"], pki["root"])
    prediction = cert_import_plan.predict_import(files, {}, present, [])
    assert prediction.changed and prediction.imported == [certificate_fingerprint(pki["root"])]
    assert prediction.unchanged == [certificate_fingerprint(pki["issuing"])]


def test_a_key_that_attaches_to_a_certificate_without_one_is_a_change(pki):
    key_fp = public_key_fingerprint(pki["leaf_key"])
    present = [appliance_cert(pki["leaf"], private_key_available=False)]
    with_cert = cert_import_plan.predict_import(_files(pki["leaf"]), {key_fp: "k"}, present, [])
    assert with_cert.changed and with_cert.imported == [certificate_fingerprint(pki["leaf"])]
    key_only = cert_import_plan.predict_import({}, {key_fp: "k"}, present, [])
    assert key_only.imported == [certificate_fingerprint(pki["leaf"])] and key_only.new_keys == [key_fp]


def test_a_key_already_on_the_appliance_changes_nothing(pki):
    key_fp = public_key_fingerprint(pki["leaf_key"])
    present = [appliance_cert(pki["leaf"])]
    prediction = cert_import_plan.predict_import(
        _files(pki["leaf"]), {key_fp: "k"}, present, [{"public_key_fingerprint": key_fp}]
    )
    assert not prediction.changed and prediction.new_keys == []


def test_roles_follow_the_procedure(pki):
    assert cert_import_plan.certificate_role(pki["leaf"]) == "server"
    assert cert_import_plan.certificate_role(pki["issuing"]) == "intermediate"
    assert cert_import_plan.certificate_role(pki["root"]) == "root"


def test_newest_takes_the_latest_issue():
    older = {"id": "a", "not_before": "2025-01-01T00:00:00Z"}
    newer = {"id": "b", "not_before": "2026-01-01T00:00:00Z"}
    assert cert_import_plan.newest([older, newer]) is newer and cert_import_plan.newest([]) is None


# --- the chain -----------------------------------------------------------------------------------


def test_an_incomplete_chain_names_the_issuer_its_url_and_the_fix(pki):
    report = chain.build_chain([pki["leaf"]], leaf=pki["leaf"], validate=False)
    message = cert_import_plan.incomplete_chain_message(report)
    assert "CN=Unit Issuing CA,O=U" in message and AIA_URL in message and "fetch_chain: true" in message
    assert cert_import_plan.missing_issuer_summary(report) == {
        "name": "CN=Unit Issuing CA,O=U",
        "ca_issuers_urls": [AIA_URL],
    }
    assert cert_import_plan.chain_summary(report)["status"] == "incomplete"


def test_a_chain_without_its_root_names_the_root(pki):
    report = chain.build_chain([pki["issuing"]], leaf=pki["leaf"], validate=False)
    message = cert_import_plan.incomplete_chain_message(report)
    assert "'CN=Unit Root CA,O=U' of 'CN=Unit Issuing CA,O=U'" in message
    assert "no AIA caIssuers link" in message


def test_a_complete_chain_misses_nothing(pki):
    report = chain.build_chain([pki["issuing"], pki["root"]], leaf=pki["leaf"], validate=False)
    summary = cert_import_plan.chain_summary(report)
    assert summary["status"] == "complete" and summary["roles"] == ["server", "intermediate", "root"]
    assert summary["fingerprints"][0] == certificate_fingerprint(pki["leaf"])
    assert cert_import_plan.missing_issuer_summary(report) == {}
    assert cert_import_plan.chain_summary(None) == {} and cert_import_plan.missing_issuer_summary(None) == {}


def test_diff_entry_keeps_names_dates_and_key_availability_only():
    cert = {
        "id": "x",
        "friendly_name": "support",
        "sha256_fingerprint": "ab",
        "not_after": "2027-01-01T00:00:00Z",
        "key_id": "key-1",
        "public_key": {"type": "ec"},
        "private_key_available": True,
    }
    assert cert_import_plan.diff_entry(cert) == {
        "friendly_name": "support",
        "sha256_fingerprint": "ab",
        "not_after": "2027-01-01T00:00:00Z",
        "private_key_available": True,
    }


def _ca(common_name, key, issuer=None, issuer_key=None):
    return builder.create_ca_certificate(
        key, subject_fields.SubjectSpec(common_name=common_name, organization_name="U"), issuer_cert=issuer,
        issuer_key=issuer_key,
    )  # fmt: skip


def test_a_wrong_intermediate_with_the_right_name_is_named_not_called_missing(pki):
    impostor = _ca("Unit Issuing CA", _key())  # same name, another key
    report = chain.build_chain([impostor, pki["root"]], leaf=pki["leaf"], validate=False)
    message = cert_import_plan.incomplete_chain_message(report)
    assert "neither in the files nor on the appliance" not in message
    assert "has the issuer's name but its key does not verify the signature" in message
    assert certificate_fingerprint(impostor) in message
    assert "not those of an older or another CA with the same name" in message


def test_a_loop_of_ca_certificates_is_named_not_called_missing():
    key_a, key_b, leaf_key = _key(), _key(), _key()
    # A is issued by B, and B by A: no self-signed root ends the chain.
    draft_b = _ca("Loop B", key_b)
    ca_a = builder.create_ca_certificate(
        key_a, subject_fields.SubjectSpec(common_name="Loop A", organization_name="U"), issuer_cert=draft_b,
        issuer_key=key_b,
    )  # fmt: skip
    ca_b = builder.create_ca_certificate(
        key_b, subject_fields.SubjectSpec(common_name="Loop B", organization_name="U"), issuer_cert=ca_a,
        issuer_key=key_a,
    )  # fmt: skip
    csr = builder.build_csr(leaf_key, subject_fields.SubjectSpec(common_name="Loop"), ["DNS:loop.example.com"])
    leaf = builder.sign_csr(csr, ca_a, key_a)
    report = chain.build_chain([ca_a, ca_b], leaf=leaf, validate=False)
    assert report.status == chain.STATUS_INCOMPLETE and report.missing_reason == chain.REASON_LOOP
    message = cert_import_plan.incomplete_chain_message(report)
    assert "neither in the files nor on the appliance" not in message
    assert "issue each other in a loop and no self-signed root ends it" in message
    assert "Import the self-signed root of this CA" in message

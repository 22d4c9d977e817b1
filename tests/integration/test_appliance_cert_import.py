# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_cert_import through ansible-playbook, with files made by the openssl command line."""

from __future__ import annotations

import base64

import import_material as material
from harness import api_state

PASSPHRASE = material.PASSPHRASE


def import_task(title, check_mode=None, **args):
    task = {"name": title, "bomgar.pki.appliance_cert_import": args, "ignore_errors": True}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def certificates_by_fingerprint(handle) -> dict:
    with handle.client() as client:
        return {cert["sha256_fingerprint"]: cert for cert in client.get("certificates").json()}


def _matrix(handle, tmp_path):
    """One task per format (and order); returns (tasks, {task: (leaf fingerprint, formats expected)})."""
    ca = material.make_ca(tmp_path / "ca")
    files = tmp_path / "files"
    files.mkdir()
    m = material
    tasks, expected = [], {}

    def add(title, leaf, formats, **args):
        tasks.append(import_task(title, **args))
        expected[title] = (m.fingerprint(leaf), formats)

    # Certificates for keys made on the appliance: the certificate alone finds its key there.
    leaf = ca.sign(m.appliance_request(handle, "der", "der.example.com"), "der")
    add(
        "DER, root first",
        leaf,
        ["der_x509", "pem_x509", "der_x509"],
        src=[str(ca.directory / "root.cer"), str(ca.intermediate), str(m.to_der(leaf, files / "der.cer"))],
    )
    leaf = ca.sign(m.appliance_request(handle, "pem", "pem.example.com", key_type="rsa"), "pem")
    add("PEM leaf alone", leaf, ["pem_x509"], src=[str(leaf)])
    leaf = ca.sign(m.appliance_request(handle, "p7der", "p7der.example.com"), "p7der")
    add(
        "PKCS#7 DER",
        leaf,
        ["pkcs7_der", "pkcs7_der"],
        src=[str(m.pkcs7([ca.intermediate, leaf], files / "a.p7b", True))],
    )
    leaf = ca.sign(m.appliance_request(handle, "p7pem", "p7pem.example.com"), "p7pem")
    bundle = m.pkcs7([leaf, ca.intermediate, ca.root], files / "b.p7c", der=False)
    add("PKCS#7 PEM as content", leaf, ["pkcs7_pem"] * 3, content=[bundle.read_text()])

    # Keys made elsewhere, imported with their certificates.
    key, leaf = ca.issue("p8", "p8.example.com", "rsa")
    add(
        "PKCS#8 DER key first",
        leaf,
        ["pkcs8_der", "pem_x509"],
        src=[str(m.pkcs8(key, files / "p8.der", der=True)), str(leaf)],
    )
    key, leaf = ca.issue("p8e", "p8e.example.com")
    encrypted = m.pkcs8(key, files / "p8e.pem", passphrase=PASSPHRASE)
    add(
        "PKCS#8 encrypted key last",
        leaf,
        ["pem_x509", "pkcs8_pem_encrypted"],
        src=[str(leaf), str(encrypted)],
        passphrase=PASSPHRASE,
    )
    key, leaf = ca.issue("p12", "p12.example.com")
    p12 = m.pkcs12(leaf, key, [ca.intermediate, ca.root], files / "p12.p12", PASSPHRASE)
    add("PKCS#12 with chain", leaf, ["pkcs12"] * 4, src=[str(p12)], passphrase=PASSPHRASE)
    key, leaf = ca.issue("p12legacy", "p12legacy.example.com", "rsa")
    legacy = m.pkcs12(leaf, key, [], files / "legacy.p12", PASSPHRASE, legacy=True)
    add(
        "PKCS#12 legacy as base64 content",
        leaf,
        ["pkcs12", "pkcs12"],
        content=[base64.b64encode(legacy.read_bytes()).decode()],
        passphrase=PASSPHRASE,
    )
    key, leaf = ca.issue("legacyder", "legacyder.example.com", "rsa")
    add(
        "legacy DER key",
        leaf,
        ["legacy_der", "pem_x509"],
        src=[str(m.legacy_key(key, files / "l.der", der=True)), str(leaf)],
    )
    key, leaf = ca.issue("legacypem", "legacypem.example.com")
    add("legacy PEM key", leaf, ["pem_x509", "legacy_pem"], src=[str(leaf), str(m.legacy_key(key, files / "l.pem"))])
    key, leaf = ca.issue("legacyenc", "legacyenc.example.com", "rsa")
    protected = m.legacy_key(key, files / "le.pem", passphrase=PASSPHRASE)
    add(
        "legacy PEM key encrypted",
        leaf,
        ["legacy_pem_encrypted", "pem_x509"],
        src=[str(protected), str(leaf)],
        passphrase=PASSPHRASE,
    )
    return tasks, expected


def test_every_format_imports_with_its_key_and_is_idempotent(appliance, play, tmp_path):
    hosts = {"appliance": appliance}
    tasks, expected = _matrix(appliance, tmp_path)
    before = api_state(appliance)

    check = play(hosts, tasks, check=True, diff=True)
    assert api_state(appliance) == before, "check mode wrote to the appliance"
    for title in expected:
        result = check.result(title)
        assert not result["failed"], (title, result.get("msg"))
        assert result["changed"] is True, title
    predicted = check.result("DER, root first")

    first = play(hosts, tasks, diff=True)
    stored = certificates_by_fingerprint(appliance)
    for title, (leaf, formats) in expected.items():
        result = first.result(title)
        assert not result["failed"], (title, result.get("msg"))
        assert result["changed"] is True, title
        assert [item["format"] for item in result["items"]] == formats, title
        assert leaf in result["imported"], title
        assert result["certificate"]["sha256_fingerprint"] == leaf, title
        assert result["certificate"]["private_key_available"] is True, title
        assert stored[leaf]["private_key_available"] is True, title
        assert result["chain_status"] == "complete" and stored[leaf]["chain_status"] == "complete", title
        assert len(result["chain"]["fingerprints"]) == 3 and result["chain"]["roles"][-1] == "root", title
        assert "PRIVATE KEY" not in str(result) and PASSPHRASE not in str(result), title
    # check mode predicted exactly what the first task did
    assert sorted(predicted["imported"]) == sorted(first.result("DER, root first")["imported"])
    assert predicted["diff"]["after"] == first.result("DER, root first")["diff"]["after"]
    pem = first.result("PEM leaf alone")
    assert pem["certificate"]["friendly_name"] == "pem", "a certificate takes the name of its request"
    assert pem["diff"]["before"] == {"certificates": []}
    assert pem["diff"]["after"]["certificates"][0]["sha256_fingerprint"] == expected["PEM leaf alone"][0]

    again = play(hosts, tasks)
    for title, (leaf, _formats) in expected.items():
        result = again.result(title)
        assert result["changed"] is False, (title, result.get("imported"))
        assert result["imported"] == [] and leaf in result["unchanged"], title


def test_incomplete_chain_warns_then_completes(appliance, play, tmp_path):
    hosts = {"appliance": appliance}
    ca = material.make_ca(tmp_path / "ca", aia_base_url="http://127.0.0.1:9/pki")
    # The first play runs in tmp_path/run1: its files/ folder is where a relative src is found.
    files = tmp_path / "run1" / "files"
    files.mkdir(parents=True)
    leaf = ca.sign(material.appliance_request(appliance, "support 2026"), "leaf")
    (files / "support.cer").write_bytes(leaf.read_bytes())
    leaf_fingerprint = material.fingerprint(leaf)

    before = api_state(appliance)
    strict = play(hosts, [import_task("strict", src=["support.cer"], require_complete_chain=True)])
    assert api_state(appliance) == before, "require_complete_chain uploaded an incomplete chain"
    result = strict.result("strict")
    assert result["failed"]
    assert "CN=Test Issuing CA,O=Example Test PKI" in result["msg"]
    assert "http://127.0.0.1:9/pki/intermediate.cer" in result["msg"] and "fetch_chain" in result["msg"]
    assert result["missing_issuer"]["name"] == "CN=Test Issuing CA,O=Example Test PKI"

    chain_files = [str(ca.intermediate), str(ca.root)]
    run = play(
        hosts,
        [
            import_task("leaf only", src=[str(leaf)], friendly_name="support 2026 renamed"),
            import_task("chain, predicted", check_mode=True, src=chain_files),
            import_task("chain", src=chain_files),
            import_task("chain again", src=chain_files),
        ],
        diff=True,
    )
    only = run.result("leaf only")
    assert only["changed"] is True and only["chain_status"] == "incomplete"
    assert only["chain"]["fingerprints"] == [leaf_fingerprint]
    assert only["missing_issuer"] == {
        "name": "CN=Test Issuing CA,O=Example Test PKI",
        "ca_issuers_urls": ["http://127.0.0.1:9/pki/intermediate.cer"],
    }
    assert any("incomplete" in warning and "Test Issuing CA" in warning for warning in only["warnings"])
    assert only["certificate"]["friendly_name"] == "support 2026 renamed"

    predicted, done = run.result("chain, predicted"), run.result("chain")
    assert predicted["changed"] is True and done["changed"] is True
    assert sorted(predicted["imported"]) == sorted(done["imported"]) and len(done["imported"]) == 2
    assert predicted["chain_status"] == done["chain_status"] == "complete"
    assert predicted["chain"]["fingerprints"] == done["chain"]["fingerprints"]
    assert done["chain"]["roles"] == ["server", "intermediate", "root"]
    assert done["certificate"]["sha256_fingerprint"] == leaf_fingerprint
    assert done["certificate"]["chain_status"] == "complete"
    statuses = {
        entry["sha256_fingerprint"]: entry.get("chain_status") for entry in done["diff"]["before"]["certificates"]
    }
    assert statuses == {leaf_fingerprint: "incomplete"}
    after = {entry["sha256_fingerprint"]: entry.get("chain_status") for entry in done["diff"]["after"]["certificates"]}
    assert after[leaf_fingerprint] == "complete" and len(after) == 3
    assert predicted["diff"]["after"] == done["diff"]["after"]
    assert run.result("chain again")["changed"] is False


def test_fetch_chain_follows_aia(appliance, play, tmp_path):
    hosts = {"appliance": appliance}
    with material.aia_server(tmp_path / "pki") as url:
        ca = material.make_ca(tmp_path / "pki", aia_base_url=url)
        key, leaf = ca.issue("fetched", "support.example.com")
        task = import_task("fetch", src=[str(leaf), str(key)], fetch_chain=True)
        before = api_state(appliance)
        check = play(hosts, [task], check=True)
        assert api_state(appliance) == before
        run = play(hosts, [task, {**task, "name": "fetch again"}])
    predicted, done = check.result("fetch"), run.result("fetch")
    assert done["changed"] is True and done["chain_status"] == "complete", done.get("msg")
    assert predicted["imported"] == done["imported"] and len(done["imported"]) == 3
    sources = [item["source"] for item in done["items"]]
    assert sources[2:] == [f"{url}/intermediate.cer", f"{url}/root.cer"]
    assert done["chain"]["fetched"] == done["chain"]["fingerprints"][1:]
    assert done["certificate"]["private_key_available"] is True
    assert certificates_by_fingerprint(appliance)[material.fingerprint(leaf)]["chain_status"] == "complete"
    assert run.result("fetch again")["changed"] is False


def test_bad_input_fails_naming_problem_and_fix(appliance, play, tmp_path):
    ca = material.make_ca(tmp_path / "ca")
    files = tmp_path / "files"
    files.mkdir()
    key, leaf = ca.issue("p12", "p12.example.com")
    p12 = material.pkcs12(leaf, key, [], files / "support.p12", PASSPHRASE)
    lone_key, _leaf = ca.issue("lone", "lone.example.com")
    (files / "notes.txt").write_text("not a certificate\n")
    (files / "huge.pem").write_bytes(b"A" * (1024 * 1024 + 1))
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        [
            import_task("wrong passphrase", src=[str(p12)], passphrase="not-the-passphrase"),
            import_task("no passphrase", src=[str(p12)]),
            import_task("key alone", src=[str(lone_key)]),
            import_task("unknown format", src=[str(leaf), str(files / "notes.txt")]),
            import_task("too large", src=[str(files / "huge.pem")]),
            import_task("missing file", src=[str(files / "absent.pem")]),
            import_task("not base64", content=["%%% definitely not base64 %%%"]),
            import_task("nothing", friendly_name="x"),
        ],
    )
    assert api_state(appliance) == before, "a refused import changed the appliance"
    expectations = {
        "wrong passphrase": ["Wrong passphrase", "support.p12", "Check the passphrase"],
        "no passphrase": ["support.p12", "no passphrase was given", "Give the password"],
        "key alone": ["lone.key", "belongs to no certificate", "Import it together with its certificate"],
        "unknown format": ["notes.txt", "not a supported certificate or key format", "PKCS#12"],
        "too large": ["huge.pem", "1 MiB"],
        "missing file": ["absent.pem", "does not exist"],
        "not base64": ["content[0] is neither PEM text", "nor base64"],
        "nothing": ["one of the following is required: src, content"],
    }
    for title, fragments in expectations.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        for fragment in fragments:
            assert fragment in result["msg"], (title, fragment, result["msg"])
        assert PASSPHRASE not in str(result) and "not-the-passphrase" not in str(result)
    assert run.result("key alone")["public_key_fingerprint"].count(":") == 31


def test_a_drop_folder_imports_the_answer_to_one_request(appliance, play, tmp_path):
    """src names a folder; for_public_key picks the CA's answer to the request, with the CA files beside it."""
    hosts = {"appliance": appliance}
    ca = material.make_ca(tmp_path / "ca")
    drop = tmp_path / "drop"
    csr = material.appliance_request(appliance, "dropped", "support.example.com")
    with appliance.client() as client:
        pending = next(r for r in client.get("certificate-requests").json() if r["friendly_name"] == "dropped")
    wanted = pending["public_key_fingerprint"]
    task = import_task("answer", src=[str(drop)], for_public_key=wanted, require_complete_chain=True)

    # Before the CA answered the folder may not even exist: the task waits, imports nothing and does not fail.
    before = api_state(appliance)
    waiting = play(hosts, [task]).result("answer")
    assert waiting["failed"] is False and waiting["changed"] is False and waiting["waiting"] is True
    assert "nothing was imported" in waiting["msg"] and api_state(appliance) == before

    # The answer, with the CA's files in other formats, another request's answer, an earlier answer for the
    # same key and a covering letter.
    drop.mkdir()
    earlier = ca.sign(csr, "earlier", days=30)
    leaf = ca.sign(csr, "leaf", days=90)
    material.to_der(leaf, drop / "b-signed.cer")
    (drop / "a-earlier.pem").write_bytes(earlier.read_bytes())
    material.to_der(ca.intermediate, drop / "intermediate.cer")
    (drop / "root.pem").write_bytes(ca.root.read_bytes())
    _other_key, other = ca.issue("other", "other.example.com")
    (drop / "other.pem").write_bytes(other.read_bytes())
    (drop / "letter.txt").write_text("Your certificate is attached.\n")
    (drop / ".hidden").write_text("ignored\n")

    check = play(hosts, [task], check=True).result("answer")
    assert api_state(appliance) == before, "check mode changed the appliance"
    done = play(hosts, [task, {**task, "name": "again"}])
    result = done.result("answer")
    assert result["changed"] is True and result["waiting"] is False, result.get("msg")
    assert check["imported"] == result["imported"]
    assert result["certificate"]["sha256_fingerprint"] == material.fingerprint(leaf)
    assert result["certificate"]["friendly_name"] == "dropped"
    assert result["chain_status"] == "complete"
    assert result["root_fingerprint"] == material.fingerprint(ca.root)
    assert result["software_update_required"] is True
    left_out = {entry["source"].rsplit("/", 1)[-1]: entry["reason"] for entry in result["left_out"]}
    assert sorted(left_out) == ["a-earlier.pem", "letter.txt", "other.pem"]
    assert "another" not in left_out["a-earlier.pem"] and "not for public key" in left_out["other.pem"]
    on_appliance = certificates_by_fingerprint(appliance)
    assert material.fingerprint(other) not in on_appliance and material.fingerprint(earlier) not in on_appliance
    assert any("letter.txt" in warning for warning in result.get("warnings", []))
    assert done.result("again")["changed"] is False


def test_for_public_key_must_be_a_fingerprint(appliance, play, tmp_path):
    (tmp_path / "drop").mkdir()
    before = api_state(appliance)
    run = play({"appliance": appliance}, [import_task("bad", src=[str(tmp_path / "drop")], for_public_key="abc")])
    result = run.result("bad")
    assert result["failed"] and "for_public_key 'abc' is not a SHA-256 public key fingerprint" in result["msg"]
    assert api_state(appliance) == before

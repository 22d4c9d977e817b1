# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A walk through the PKI core, the way the manual procedure goes.

A local CA signs a request for a site and its Atlas traffic nodes; the result
comes back as the mix of files a CA sends; each is recognised by its content;
the chain is put in order, found incomplete while the issuing CA is missing,
completed through the certificate's AIA link from a local HTTP server, and
validated for every node's hostname; the private key is kept out of what would
go to the vendor; and renewal is decided.

State lives in the work directory: a second run reuses the CA, the key and the
certificate, and says that nothing changed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LINK = BUILD / "ansible_collections" / "bomgar" / "pki"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(ROOT, LINK.parent), LINK)
sys.path.insert(0, str(BUILD))

from ansible_collections.bomgar.pki.plugins.module_utils.pki import (  # noqa: E402
    aia,
    builder,
    chain,
    formats,
    keyguard,
    keys,
    names,
    renewal,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PKIError, PrivateKeyFound  # noqa: E402
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs7  # noqa: E402

SITE = "support.example.com"
NODES = ["node1.example.com", "node2.example.com"]
SUBJECT = names.SubjectSpec(
    common_name="Example Support Site",
    country_name="US",
    state_or_province_name="California",
    locality_name="San Diego",
    organization_name="Example Inc",
    organizational_unit_name="IT",
)
SANS = [f"DNS:{SITE}", "DNS:*.example.com"]


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_or_create_key(path: Path, spec: keys.KeySpec, made: list[str]):
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), None)
    key = keys.generate_private_key(spec)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write_private(path, pem)
    made.append(f"{path.name} ({spec.describe()})")
    return key


def load_or_create_cert(path: Path, make, made: list[str]):
    if path.exists():
        return formats.certificates(formats.load_file(str(path)))[0]
    cert = make()
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    made.append(path.name)
    return cert


@contextlib.contextmanager
def serve_directory(directory: Path):
    """A plain HTTP server on 127.0.0.1 standing in for the CA's AIA repository."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *_args):
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=str(BUILD / "demo"), help="where the demo keeps its CA, key and files")
    workdir = Path(parser.parse_args().workdir)
    ca_dir, sent_dir, repo_dir = workdir / "ca", workdir / "from-ca", workdir / "aia"
    for folder in (ca_dir, sent_dir, repo_dir):
        folder.mkdir(parents=True, exist_ok=True)
    made: list[str] = []

    with serve_directory(repo_dir) as aia_base:
        # 1. The operator's local CA: a root and an issuing CA.
        root_key = load_or_create_key(ca_dir / "root.key", keys.KeySpec.create("ec", curve="P-384"), made)
        root = load_or_create_cert(
            ca_dir / "root.pem",
            lambda: builder.create_ca_certificate(root_key, names.SubjectSpec(common_name="Example Demo Root CA")),
            made,
        )
        issuing_key = load_or_create_key(ca_dir / "issuing.key", keys.KeySpec.create("ec", curve="P-256"), made)
        issuing = load_or_create_cert(
            ca_dir / "issuing.pem",
            lambda: builder.create_ca_certificate(
                issuing_key,
                names.SubjectSpec(common_name="Example Demo Issuing CA"),
                days=1825,
                issuer_cert=root,
                issuer_key=root_key,
                path_length=0,
            ),
            made,
        )
        (repo_dir / "issuing.cer").write_bytes(issuing.public_bytes(serialization.Encoding.DER))

        # 2. The site's key and request, checked by the procedure's rules.
        site_key = load_or_create_key(workdir / "site.key", keys.KeySpec.create("rsa", 2048), made)
        warnings = names.validate_request(SUBJECT, names.parse_sans(SANS))
        csr = builder.build_csr(site_key, SUBJECT, SANS)

        # 3. The CA signs it; what comes back is a DER certificate, a PKCS#7 and a PEM root.
        leaf_path = sent_dir / "support.cer"
        if leaf_path.exists():
            leaf = formats.certificates(formats.load_file(str(leaf_path)))[0]
        else:
            leaf = builder.sign_csr(csr, issuing, issuing_key, days=397, ca_issuers_url=f"{aia_base}/issuing.cer")
            leaf_path.write_bytes(leaf.public_bytes(serialization.Encoding.DER))
            bundle = pkcs7.serialize_certificates([issuing, root], serialization.Encoding.DER)
            (sent_dir / "chain.p7b").write_bytes(bundle)
            (sent_dir / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
            made.append("signed certificate and the CA's files")

        print("== What the CA sent, recognised by content")
        loaded = []
        for path in sorted(sent_dir.iterdir()):
            for item in formats.load_file(str(path)):
                print(f"   {path.name:12} {item.describe()}")
                loaded.append(item)
        every_cert = formats.certificates(loaded)

        print("== The chain with only the signed certificate")
        alone = chain.build_chain([leaf], key=site_key, validate=False)
        print(f"   status {alone.status}; missing {alone.missing_issuer}; AIA {', '.join(alone.missing_aia_urls)}")
        completed = chain.build_chain([leaf], key=site_key, fetch=aia.make_http_fetcher(timeout=5), validate=False)
        print(f"   after following AIA: {completed.status}, fetched {len(completed.fetched)} certificate(s)")
        if completed.status == chain.STATUS_INCOMPLETE:
            print(f"   still missing {completed.missing_issuer} (the root is never fetched, only trusted)")

        print("== The chain with every file the CA sent, validated for each hostname")
        for host in [SITE, *NODES]:
            report = chain.build_chain(every_cert, key=site_key, hostname=host)
            roles = " -> ".join(report.roles)
            verdict = "valid" if report.validated else f"NOT valid: {report.validation_error}"
            print(f"   {host:20} {report.status}: {roles}; {verdict}")
            if not report.validated:
                return 1

        print("== The key guard on what would go to the vendor")
        p12 = keys.export_pkcs12(site_key, leaf, [issuing, root], passphrase="demo-only-passphrase")
        for label, data in (("support.cer", leaf_path.read_bytes()), ("site.p12", p12)):
            try:
                keyguard.ensure_no_private_key(data, label)
                print(f"   {label:12} no private key: may be sent")
            except PrivateKeyFound as exc:
                print(f"   {label:12} refused: {exc.message}")

        decision = renewal.certificate_renewal(leaf)
        print("== Summary")
        print(f"   certificate {certificate_fingerprint(leaf)}")
        print(f"   covers {', '.join([SITE, *NODES])}; renewal: {decision.reason}")
        for warning in warnings:
            print(f"   warning: {warning}")
        if made:
            print(f"   created: {'; '.join(made)}")
        else:
            print("   nothing changed: the CA, the key and the certificate from the last run were reused")
        print(f"   files are in {workdir}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except PKIError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate, chain and key files made with the ``openssl`` command line, as a CA or another server hands them over.

``make_ca(directory)`` makes a root and an issuing intermediate; ``ca.sign(csr)``
signs a request (an appliance's, or one made here with ``ca.issue``), and the
converters write the same certificate or key in each format the appliance
imports. ``aia_server(directory)`` serves a folder over plain http on 127.0.0.1,
for AIA caIssuers links.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import secrets
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "import-Passphrase-1"

_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
[v3_root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
{intermediate_aia}
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
{leaf_aia}
"""


def openssl(*args, cwd: Path, data: bytes | None = None) -> bytes:
    """Run ``openssl`` with ``args`` in ``cwd``; its stdout, or an AssertionError with its stderr."""
    done = subprocess.run(["openssl", *map(str, args)], cwd=cwd, input=data, capture_output=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def new_key(directory: Path, name: str, key_type: str = "ec") -> Path:
    """A new private key (PKCS#8 PEM, unencrypted): ``ec`` (P-256) or ``rsa`` (2048 bits)."""
    path = directory / f"{name}.key"
    if key_type == "rsa":
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path, cwd=directory)
    else:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path, cwd=directory)
    return path


@dataclass
class TestCA:
    """A root and an issuing intermediate, with their keys, made by openssl in ``directory``."""

    directory: Path
    root: Path
    root_key: Path
    intermediate: Path
    intermediate_key: Path
    config: Path

    def sign(self, csr: bytes | Path, name: str, days: int = 365) -> Path:
        """Sign a request (PEM bytes or a file) with the intermediate; the certificate (PEM) keeps its names."""
        csr_path = csr if isinstance(csr, Path) else self.directory / f"{name}.csr"
        if not isinstance(csr, Path):
            csr_path.write_bytes(csr)
        out = self.directory / f"{name}.pem"
        openssl(
            "x509", "-req", "-in", csr_path, "-CA", self.intermediate, "-CAkey", self.intermediate_key,
            "-set_serial", f"0x{secrets.token_hex(8)}", "-days", days, "-copy_extensions", "copy",
            "-extfile", self.config, "-extensions", "v3_leaf", "-out", out, cwd=self.directory,
        )  # fmt: skip
        return out

    def issue(self, name: str, hostname: str, key_type: str = "ec") -> tuple[Path, Path]:
        """A key made here and its certificate for ``hostname``: ``(key PKCS#8 PEM, certificate PEM)``."""
        key = new_key(self.directory, name, key_type)
        csr = self.directory / f"{name}.csr"
        openssl(
            "req", "-new", "-key", key, "-subj", f"/O=Example/CN={hostname}", "-addext",
            f"subjectAltName=DNS:{hostname}", "-config", self.config, "-out", csr, cwd=self.directory,
        )  # fmt: skip
        return key, self.sign(csr, name)


def make_ca(directory: Path, aia_base_url: str | None = None) -> TestCA:
    """Root 'Test Root CA' and intermediate 'Test Issuing CA'; with ``aia_base_url`` the intermediate points to
    ``<url>/root.cer`` and every leaf to ``<url>/intermediate.cer`` (DER files written into ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "openssl.cnf"
    config.write_text(
        _CONFIG.format(
            intermediate_aia=f"authorityInfoAccess = caIssuers;URI:{aia_base_url}/root.cer" if aia_base_url else "",
            leaf_aia=f"authorityInfoAccess = caIssuers;URI:{aia_base_url}/intermediate.cer" if aia_base_url else "",
        ),
        encoding="ascii",
    )
    root_key = new_key(directory, "root")
    root = directory / "root.pem"
    openssl(
        "req", "-x509", "-new", "-key", root_key, "-subj", "/O=Example Test PKI/CN=Test Root CA", "-days", 3650,
        "-config", config, "-extensions", "v3_root", "-set_serial", f"0x{secrets.token_hex(8)}", "-out", root,
        cwd=directory,
    )  # fmt: skip
    intermediate_key = new_key(directory, "intermediate")
    csr = directory / "intermediate.csr"
    openssl(
        "req", "-new", "-key", intermediate_key, "-subj", "/O=Example Test PKI/CN=Test Issuing CA",
        "-config", config, "-out", csr, cwd=directory,
    )  # fmt: skip
    intermediate = directory / "intermediate.pem"
    openssl(
        "x509", "-req", "-in", csr, "-CA", root, "-CAkey", root_key, "-set_serial", f"0x{secrets.token_hex(8)}",
        "-days", 1825, "-extfile", config, "-extensions", "v3_intermediate", "-out", intermediate, cwd=directory,
    )  # fmt: skip
    to_der(root, directory / "root.cer")
    to_der(intermediate, directory / "intermediate.cer")
    return TestCA(directory, root, root_key, intermediate, intermediate_key, config)


# --- one certificate or key, in each format ---------------------------------------------------


def to_der(cert: Path, out: Path) -> Path:
    """DER X.509 certificate."""
    openssl("x509", "-in", cert, "-outform", "DER", "-out", out, cwd=out.parent)
    return out


def pkcs7(certs: list[Path], out: Path, der: bool) -> Path:
    """PKCS#7 certificate bundle (``crl2pkcs7 -nocrl``), DER or PEM."""
    args = ["crl2pkcs7", "-nocrl"]
    for cert in certs:
        args += ["-certfile", cert]
    openssl(*args, "-outform", "DER" if der else "PEM", "-out", out, cwd=out.parent)
    return out


def pkcs8(key: Path, out: Path, der: bool = False, passphrase: str | None = None) -> Path:
    """PKCS#8 private key, DER or PEM, plain or encrypted (AES-256)."""
    args = ["pkcs8", "-topk8", "-in", key, "-outform", "DER" if der else "PEM", "-out", out]
    args += ["-v2", "aes-256-cbc", "-passout", f"pass:{passphrase}"] if passphrase else ["-nocrypt"]
    openssl(*args, cwd=out.parent)
    return out


def legacy_key(key: Path, out: Path, der: bool = False, passphrase: str | None = None) -> Path:
    """Legacy ("traditional") OpenSSL private key: DER, PEM, or PEM encrypted (AES-256)."""
    args = ["pkey", "-in", key, "-traditional", "-outform", "DER" if der else "PEM", "-out", out]
    if passphrase:
        args += ["-aes256", "-passout", f"pass:{passphrase}"]
    openssl(*args, cwd=out.parent)
    return out


def pkcs12(cert: Path, key: Path, chain: list[Path], out: Path, passphrase: str, legacy: bool = False) -> Path:
    """PKCS#12 with the certificate, its key and the chain; ``legacy`` uses RC2/3DES (``-legacy``)."""
    args = ["pkcs12", "-export", "-in", cert, "-inkey", key, "-out", out, "-passout", f"pass:{passphrase}"]
    if chain:
        # openssl takes one -certfile: the chain goes in as one PEM file.
        bundle = out.with_suffix(".chain.pem")
        bundle.write_bytes(b"".join(path.read_bytes() for path in chain))
        args += ["-certfile", bundle]
    if legacy:
        args.append("-legacy")
    openssl(*args, cwd=out.parent)
    return out


def fingerprint(cert: Path) -> str:
    """SHA-256 fingerprint of a PEM certificate, as the API spells it."""
    text = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256", cwd=cert.parent).decode()
    return text.strip().split("=", 1)[1].lower()


# --- the appliance's side ---------------------------------------------------------------------


def appliance_request(handle, name: str, hostname: str = "support.example.com", key_type: str = "ec") -> bytes:
    """A key and a certificate request made on the appliance (through its API); the request's PEM."""
    with handle.client() as client:
        spec = {"type": "rsa", "size": 2048} if key_type == "rsa" else {"type": "ec", "curve": "P-256"}
        key = client.post("keys", json={"name": name, **spec})
        key.raise_for_status()
        request = client.post(
            "certificate-requests",
            json={
                "friendly_name": name,
                "key_id": key.json()["id"],
                "subject": {"common_name": hostname, "organization_name": "Example"},
                "subject_alt_name": [f"DNS:{hostname}"],
            },
        )
        request.raise_for_status()
        return request.json()["pem"].encode("ascii")


# --- AIA ----------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        """Keep test output clean."""


@contextlib.contextmanager
def aia_server(directory: Path):
    """Serve ``directory`` on http://127.0.0.1:<free port>; yields the base URL."""
    directory.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

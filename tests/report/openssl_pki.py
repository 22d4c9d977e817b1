# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates made by the openssl command line, not by this collection: the chains the nginx servers serve.

``openssl req`` makes each key and request, ``openssl ca`` signs (it sets any
start and end date, which an expired or nearly expired certificate needs).
The extensions are the usual ones of a public PKI: basicConstraints and
keyUsage everywhere, subject and authority key identifiers, serverAuth and the
alternative names on the server certificates.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

CONFIG = """
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {directory}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = placeholder
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_intermediate ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = caIssuers;URI:http://pki.example.net/root.cer
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = $ENV::REPORT_TEST_SAN
authorityInfoAccess = OCSP;URI:http://ocsp.example.net, caIssuers;URI:http://pki.example.net/issuing.cer
[ v3_self ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = $ENV::REPORT_TEST_SAN
"""


def _stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%SZ")


@dataclass
class Issued:
    """A certificate file and its key file."""

    cert: Path
    key: Path

    def pem(self) -> str:
        return self.cert.read_text(encoding="ascii")


class OpensslCA:
    """A folder where ``openssl`` makes keys, requests and certificates."""

    def __init__(self, directory: Path, now: datetime.datetime):
        self.directory = Path(directory)
        self.now = now
        (self.directory / "newcerts").mkdir(parents=True, exist_ok=True)
        (self.directory / "index.txt").write_text("", encoding="ascii")
        (self.directory / "serial").write_text("1000\n", encoding="ascii")
        self.config = self.directory / "openssl.cnf"
        self.config.write_text(CONFIG.format(directory=self.directory), encoding="ascii")

    def _run(self, *argv: str, san: str = "DNS:placeholder.example.net") -> None:
        environment = {**os.environ, "REPORT_TEST_SAN": san}
        done = subprocess.run(["openssl", *argv], capture_output=True, text=True, env=environment, check=False)
        if done.returncode != 0:
            raise AssertionError(f"openssl {' '.join(argv)} failed: {done.stderr}")

    def _request(self, name: str, common_name: str, key: str) -> tuple[Path, Path]:
        key_path, csr_path = self.directory / f"{name}.key", self.directory / f"{name}.csr"
        key_options = ["-newkey", "rsa:2048"]
        if key == "ec-p384":
            key_options = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]
        self._run(
            "req", "-new", *key_options, "-nodes", "-keyout", str(key_path), "-out", str(csr_path),
            "-subj", f"/O=Report Test PKI/CN={common_name}", "-config", str(self.config),
        )  # fmt: skip
        return key_path, csr_path

    def _sign(self, name: str, csr: Path, extensions: str, issuer: Issued | None, start, end, san: str) -> Path:
        out = self.directory / f"{name}.pem"
        signer = ["-selfsign", "-keyfile", str(self.directory / f"{name}.key")]
        if issuer is not None:
            signer = ["-cert", str(issuer.cert), "-keyfile", str(issuer.key)]
        self._run(
            "ca", "-batch", "-notext", "-config", str(self.config), *signer, "-in", str(csr), "-out", str(out),
            "-extensions", extensions, "-startdate", _stamp(start), "-enddate", _stamp(end),
            san=san,
        )  # fmt: skip
        return out

    def issue(
        self,
        name: str,
        common_name: str,
        issuer: Issued | None = None,
        kind: str = "leaf",
        sans: tuple = (),
        days_before: float = 10,
        days_after: float = 90,
        key: str = "rsa",
    ) -> Issued:
        """One certificate: ``kind`` root, intermediate, leaf or self (a self-signed server certificate)."""
        key_path, csr = self._request(name, common_name, key)
        extensions = {"root": "v3_root", "intermediate": "v3_intermediate", "leaf": "v3_leaf", "self": "v3_self"}[kind]
        start = self.now - datetime.timedelta(days=days_before)
        end = self.now + datetime.timedelta(days=days_after)
        san = ",".join(sans) or "DNS:placeholder.example.net"
        cert = self._sign(name, csr, extensions, None if kind in ("root", "self") else issuer, start, end, san)
        return Issued(cert, key_path)

    def bundle(self, name: str, parts: list) -> Path:
        """A PEM file of ``parts`` (Issued), in that order: what a server is configured to send."""
        path = self.directory / f"{name}.chain.pem"
        path.write_text("".join(part.pem() for part in parts), encoding="ascii")
        return path

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's state directory: API CA, API server certificate, token and admin password, made on first start.

Layout of one appliance's state directory (0700)::

    ca.pem   ca.key     the API CA (clients trust ca.pem); in a fleet these live once in the state root
    api.pem  api.key    the API server certificate (127.0.0.1, localhost, the API host, the hostname)
    token               the API bearer token (0600)
    admin-password      the password of the web interface's user "admin" (0600)
    appliance.db        the store (made by the service layer)

Later starts reuse everything; the API certificate is issued again only when it no longer
fits (other names, another CA, or near its end).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .core import builder, subject_fields

TOKEN_ENV = "BOMGAR_APPLIANCE_TOKEN"
MIN_TOKEN_LENGTH = 8
API_CERT_DAYS = 397
API_CERT_RENEW_DAYS = 30
CA_DAYS = 3650
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca.key"
API_CERT_FILE = "api.pem"
API_KEY_FILE = "api.key"
TOKEN_FILE = "token"
ADMIN_PASSWORD_FILE = "admin-password"
ADMIN_USERNAME = "admin"
STORE_FILE = "appliance.db"
STATE_FILES = frozenset(
    {CA_FILE, CA_KEY_FILE, API_CERT_FILE, API_KEY_FILE, TOKEN_FILE, ADMIN_PASSWORD_FILE, STORE_FILE}
)


class StateError(Exception):
    """The state directory cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ApiCA:
    """The CA that signs API server certificates, and the file clients trust."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey = field(repr=False)
    ca_path: Path


@dataclass(frozen=True)
class ApplianceState:
    """The files of one appliance's state directory, ready to serve the API."""

    state_dir: Path
    ca_path: Path
    cert_path: Path
    key_path: Path
    token_file: Path
    token: str = field(repr=False)
    admin_password_file: Path
    admin_password: str = field(repr=False)

    @property
    def store_path(self) -> Path:
        """Where the service layer keeps its SQLite store."""
        return self.state_dir / STORE_FILE


def _holds_only_state(path: Path) -> bool:
    """True when every file in ``path`` is one the appliance writes (sub-directories are fleet members)."""
    return all(
        entry.is_dir()
        or entry.name.startswith(".")
        or entry.name in STATE_FILES
        or entry.name.split("-")[0] in STATE_FILES
        for entry in path.iterdir()
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it 0700: it holds keys and the token.

    A directory open to other users is tightened only when it holds nothing but
    appliance state, so a mistyped ``--state-dir /tmp`` is refused, not locked down.
    """
    path = Path(path)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.stat().st_mode & 0o077:
            if not _holds_only_state(path):
                raise StateError(
                    f"'{path}' is open to other users and holds files that are not appliance state. "
                    "Give a new or empty directory for the state (it is made 0700)."
                )
            path.chmod(0o700)
    except OSError as exc:
        raise StateError(
            f"Cannot use '{path}' as a state directory: {exc.strerror or exc}. "
            "Give a directory this user can create and own."
        ) from None
    return path


def write_file_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_token(token: str) -> str:
    """Refuse a token that cannot travel in an ``Authorization: Bearer`` header or is too short to be secret."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise StateError(
            f"The API token is shorter than {MIN_TOKEN_LENGTH} characters. "
            "Give a longer one, or none to have a random token generated."
        )
    if not all(33 <= ord(char) <= 126 for char in token):
        raise StateError(
            "The API token may only hold visible ASCII characters (no spaces or control characters). "
            "Give another one, or none to have a random token generated."
        )
    return token


def given_token(token_file: Path | None) -> str | None:
    """The token in ``token_file`` (``--token-file``) or else in ``BOMGAR_APPLIANCE_TOKEN``, checked; or None.

    The file's trailing line break is not part of the token.
    """
    if token_file is None:
        token = os.environ.get(TOKEN_ENV) or None
        return check_token(token) if token else None
    try:
        token = Path(token_file).read_bytes().decode("ascii").rstrip("\r\n")
    except FileNotFoundError:
        raise StateError(
            f"--token-file '{token_file}' does not exist. Give the file that holds the API token."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not ASCII text"
        raise StateError(
            f"--token-file '{token_file}' cannot be read: {reason}. Give a readable file that holds only the token."
        ) from None
    if not token:
        raise StateError(f"--token-file '{token_file}' is empty. Put the API token in it, or leave the option out.")
    return check_token(token)


def _load_private_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _private_key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_or_create_api_ca(directory: Path) -> ApiCA:
    """The API CA in ``directory`` (``ca.pem``, ``ca.key``), created on first use."""
    directory = ensure_private_dir(directory)
    ca_path, key_path = directory / CA_FILE, directory / CA_KEY_FILE
    if ca_path.exists() and key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
            key = _load_private_key(key_path)
        except (ValueError, TypeError) as exc:
            raise StateError(
                f"The API CA in '{directory}' cannot be read ({exc}). "
                f"Remove {CA_FILE} and {CA_KEY_FILE} to have a new CA made (clients must then trust the new {CA_FILE})."
            ) from None
        if cert.not_valid_after_utc > builder.utcnow() + datetime.timedelta(days=API_CERT_RENEW_DAYS):
            return ApiCA(cert, key, ca_path)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = subject_fields.SubjectSpec(
        common_name="Bomgar reference appliance API CA", organization_name="bomgar.pki reference appliance"
    )
    cert = builder.create_ca_certificate(key, subject, days=CA_DAYS, path_length=0)
    write_file_atomic(key_path, _private_key_pem(key))
    write_file_atomic(ca_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return ApiCA(cert, key, ca_path)


def api_server_names(hostname: str, api_host: str) -> list[x509.GeneralName]:
    """The names the API certificate covers: 127.0.0.1, localhost, the API host and the appliance hostname."""
    wanted: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    for name in (api_host, hostname):
        try:
            entry: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
        except ValueError:
            entry = x509.DNSName(name.lower())
        if entry not in wanted:
            wanted.append(entry)
    return wanted


def _issue_api_certificate(ca: ApiCA, hostname: str, general_names: list) -> tuple[x509.Certificate, object]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = builder.utcnow()
    start = now - datetime.timedelta(minutes=5)
    end = min(now + datetime.timedelta(days=API_CERT_DAYS), ca.certificate.not_valid_after_utc)
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{hostname} API")]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return cert, key


def _api_certificate_fits(cert_path: Path, key_path: Path, ca: ApiCA, general_names: list) -> bool:
    """True when the API certificate on disk is from ``ca``, covers the names, matches its key, is not near its end."""
    if not (cert_path.exists() and key_path.exists()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = _load_private_key(key_path)
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        cert.verify_directly_issued_by(ca.certificate)
    except (ValueError, TypeError, x509.ExtensionNotFound, x509.InvalidSignature):
        return False
    fresh = cert.not_valid_after_utc > builder.utcnow() + datetime.timedelta(days=API_CERT_RENEW_DAYS)
    same_key = key.public_key() == cert.public_key()
    return fresh and same_key and all(name in sans for name in general_names)


def _stored_token(token_file: Path) -> str | None:
    try:
        stored = token_file.read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        raise StateError(
            f"The token file '{token_file}' cannot be read as ASCII text. "
            "Remove it to have a new token made, or give one with --token-file or BOMGAR_APPLIANCE_TOKEN."
        ) from None
    if stored:
        token_file.chmod(0o600)
    return stored or None


def _token_for(token_file: Path, token: str | None) -> str:
    """The given token (written to the file), else the stored one, else a new random one."""
    stored = _stored_token(token_file)
    if token is None and stored is not None:
        return check_token(stored)
    token = token or secrets.token_urlsafe(32)
    if stored != token:
        write_file_atomic(token_file, token.encode("ascii") + b"\n")
    return token


def _admin_password_for(password_file: Path) -> str:
    """The stored admin password, else a new random one written to ``password_file`` (0600); never printed."""
    try:
        stored = password_file.read_bytes().decode("ascii").strip()
    except FileNotFoundError:
        stored = ""
    except (OSError, UnicodeDecodeError):
        raise StateError(
            f"The admin password file '{password_file}' cannot be read as ASCII text. "
            "Remove it to have a new admin password made."
        ) from None
    if stored:
        password_file.chmod(0o600)
        return stored
    password = secrets.token_urlsafe(18)
    write_file_atomic(password_file, password.encode("ascii") + b"\n")
    return password


def provision_appliance(
    state_dir: Path, hostname: str, ca: ApiCA, api_host: str = "127.0.0.1", token: str | None = None
) -> ApplianceState:
    """Make (first start) or reuse (later starts) the API certificate, token and admin password of one appliance."""
    state_dir = ensure_private_dir(state_dir)
    cert_path, key_path = state_dir / API_CERT_FILE, state_dir / API_KEY_FILE
    general_names = api_server_names(hostname, api_host)
    if not _api_certificate_fits(cert_path, key_path, ca, general_names):
        cert, key = _issue_api_certificate(ca, hostname, general_names)
        write_file_atomic(key_path, _private_key_pem(key))
        write_file_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    token_file = state_dir / TOKEN_FILE
    return ApplianceState(
        state_dir=state_dir,
        ca_path=ca.ca_path,
        cert_path=cert_path,
        key_path=key_path,
        token_file=token_file,
        token=_token_for(token_file, token),
        admin_password_file=state_dir / ADMIN_PASSWORD_FILE,
        admin_password=_admin_password_for(state_dir / ADMIN_PASSWORD_FILE),
    )

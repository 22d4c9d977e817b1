# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The resource ``/acme`` over the store, the background order and the renewal check.

The API and the web pages reach this through the ``Appliance`` (``acme_configuration``, ``configure_acme``,
``disable_acme``, ``order_acme_certificate``); the server starts the runtime with :meth:`AcmeService.start`
(the HTTP-01 responder and the periodic check) and ends it with :meth:`AcmeService.stop`.

One order at a time: a PUT that changes what is ordered while an order runs has the worker order once more
when it ends; ``POST /acme/orders`` is refused (409) while one runs. A successful order installs the
certificate through the service layer's own import and binding (so the binding rules apply) and removes the
previous ACME certificate once nothing serves it; a failed one changes no certificate and no binding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import ssl
import tempfile
import threading

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..core import builder, describe, fingerprints, hostnames, keys, subject_fields
from ..core import errors as pki_errors
from ..errors import ApplianceError
from ..rules_keys import key_row, load_private_key, unique_key_name
from . import schedule
from .order import OrderError, OrderRequest, order_certificate, renewal_info
from .responder import ResponderError
from .settings import AcmeSettings, check_settings, csr_names, key_spec, key_type_of, settings_from_row, settings_row

LOG = logging.getLogger(__name__)
DEFAULT_HTTP_PORT = 80
DEFAULT_CHECK_INTERVAL = 3600.0
STATE_DISABLED, STATE_PENDING, STATE_VALID, STATE_FAILED = "disabled", "pending", "valid", "failed"
_ORDER_FILE = "acme-order.pem"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _iso(moment: datetime.datetime | None) -> str | None:
    return describe.iso_time(moment) if moment is not None else None


def _parsed(text: str | None) -> datetime.datetime | None:
    return schedule.parse_time(text) if text else None


def _empty_status() -> dict:
    return {
        "state": STATE_DISABLED,
        "last_attempt_at": None,
        "last_success_at": None,
        "last_error": None,
        "certificate_id": None,
        "key_id": None,
        "next_renewal_at": None,
        "renewal_basis": None,
        "ari_start": None,
        "ari_end": None,
        "ari_next_check_at": None,
        "account_url": None,
        "failures": 0,
    }


class AcmeService:
    """The ACME client of one appliance (``appliance`` is its service layer, ``store`` its store)."""

    def __init__(self, appliance, store, http_port: int = DEFAULT_HTTP_PORT):
        self._appliance = appliance
        self._store = store
        self.http_port = http_port
        self._lock = threading.RLock()
        self._responder = None
        self._worker: threading.Thread | None = None
        self._order_again = False
        self._running_fields: tuple | None = None
        self._checker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.check_interval = DEFAULT_CHECK_INTERVAL

    # --- reading ------------------------------------------------------------------------------

    def _read(self) -> tuple[AcmeSettings | None, bool, dict]:
        with self._store.read() as tx:
            row = tx.acme_settings()
            status = tx.acme_status() or _empty_status()
        return settings_from_row(row), bool(row and row["enabled"]), dict(status)

    def _certificate(self, certificate_id: str | None) -> tuple[dict | None, x509.Certificate | None]:
        if not certificate_id:
            return None, None
        with self._store.read() as tx:
            row = tx.certificate(certificate_id)
        return (row, x509.load_der_x509_certificate(row["der"])) if row else (None, None)

    def configuration(self) -> dict:
        """GET /acme: the settings (never the EAB HMAC), the HTTP-01 port and the status."""
        settings, enabled, status = self._read()
        shown = (settings or AcmeSettings(directory_url=None, hostnames=())).view()
        row, cert = self._certificate(status["certificate_id"])
        window = None
        if status["ari_start"] and status["ari_end"]:
            window = {"start": status["ari_start"], "end": status["ari_end"]}
        return {
            "enabled": enabled,
            **shown,
            "http_port": self.http_port,
            "status": {
                "state": status["state"] if enabled else STATE_DISABLED,
                "last_attempt_at": status["last_attempt_at"],
                "last_success_at": status["last_success_at"],
                "last_error": status["last_error"],
                "certificate_id": row["id"] if row else None,
                "certificate_sha256": row["fingerprint"].replace(":", "") if row else None,
                "not_after": _iso(cert.not_valid_after_utc) if cert else None,
                "next_renewal_at": status["next_renewal_at"] if enabled else None,
                "renewal_basis": status["renewal_basis"] if row else None,
                "ari_window": window if row else None,
                "account_url": status["account_url"],
            },
        }

    def _installed_covers(self, status: dict, settings: AcmeSettings, now: datetime.datetime) -> bool:
        """True when the certificate the client installed is within its validity, covers every hostname and
        has a key of the key type asked for."""
        row, cert = self._certificate(status["certificate_id"])
        if row is None or row["key_id"] is None:
            return False
        if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
            return False
        if hostnames.uncovered_hostnames(list(settings.hostnames), hostnames.sans_from_certificate(cert)):
            return False
        with self._store.read() as tx:
            key = tx.key(row["key_id"])
        return key is not None and key_type_of(key) == settings.key_type

    # --- the resource -------------------------------------------------------------------------

    def configure(self, body: dict) -> dict:
        """PUT /acme: store the settings and turn ACME on; order at once unless nothing changes what is ordered
        and the installed certificate still serves. Never waits for the CA."""
        known = [entry["address"] for entry in self._appliance.list_ip_addresses()]
        with self._lock:
            stored, _enabled, status = self._read()
            settings = check_settings(body, known, stored)
            now = _now()
            unchanged = stored is not None and stored.order_fields() == settings.order_fields()
            running_same = self._running() and self._running_fields == settings.order_fields()
            keep = unchanged and (running_same or self._installed_covers(status, settings, now))
            if not keep:
                status["state"] = STATE_PENDING
                status["next_renewal_at"] = None
            elif status["state"] == STATE_DISABLED:
                status["state"] = STATE_PENDING if running_same else STATE_VALID
            with self._store.transaction() as tx:
                tx.save_acme_settings(settings_row(settings, True, describe.iso_time(now)))
                tx.save_acme_status(status)
            if keep and status["state"] == STATE_VALID:
                self._refresh_schedule(settings, now, fetch=False)
            if not keep:
                self._start_worker()
        return self.configuration()

    def disable(self) -> None:
        """DELETE /acme: ACME off, the EAB HMAC forgotten; the certificate and its bindings stay."""
        with self._lock:
            settings, enabled, status = self._read()
            if settings is None or not enabled:
                return
            forgotten = dataclasses.replace(settings, eab_hmac=None)
            status["state"] = STATE_DISABLED
            status["next_renewal_at"] = None
            with self._store.transaction() as tx:
                tx.save_acme_settings(settings_row(forgotten, False, describe.iso_time(_now())))
                tx.save_acme_status(status)
            responder = self._responder
        if responder is not None and not self._running():
            responder.close()

    def order_now(self) -> dict:
        """POST /acme/orders: order now, due or not; 409 when ACME is off or an order is running."""
        with self._lock:
            settings, enabled, status = self._read()
            if settings is None or not enabled:
                raise ApplianceError(
                    409,
                    "acme_disabled",
                    "ACME is turned off on this appliance, so nothing can be ordered. Turn it on with its settings "
                    "(PUT /acme) first; that orders a certificate at once.",
                    {},
                )
            if self._running() and status["state"] == STATE_PENDING:
                raise ApplianceError(
                    409,
                    "acme_order_running",
                    "An ACME order is already running on this appliance. Wait until GET /acme shows its state "
                    "(valid or failed), then renew again if needed.",
                    {"state": status["state"]},
                )
            status["state"] = STATE_PENDING
            with self._store.transaction() as tx:
                tx.save_acme_status(status)
            self._start_worker()
        return self.configuration()

    # --- runtime ------------------------------------------------------------------------------

    def start(self, responder, check_interval: float = DEFAULT_CHECK_INTERVAL) -> None:
        """Take the HTTP-01 responder and start the periodic renewal check; an order a stop interrupted
        (state pending) starts again."""
        with self._lock:
            self._responder = responder
            self.check_interval = check_interval
            self._stopping.clear()
            _settings, enabled, status = self._read()
            if enabled and status["state"] == STATE_PENDING:
                self._start_worker()
            elif enabled:
                try:
                    responder.listen()
                except ResponderError as exc:
                    LOG.error("%s", exc)
            self._checker = threading.Thread(target=self._check_periodically, name="acme renewal check", daemon=True)
            self._checker.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the renewal check and the responder; a running order is abandoned (it restarts on next start)."""
        self._stopping.set()
        with self._lock:
            checker, worker, responder = self._checker, self._worker, self._responder
            self._checker = None
        for thread in (checker, worker):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)
        if responder is not None:
            responder.close()

    def _running(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def _start_worker(self) -> None:
        """Start the order worker, or have the running one order once more (caller holds the lock)."""
        if self._running():
            self._order_again = True
            return
        self._order_again = False
        self._worker = threading.Thread(target=self._work, name="acme order", daemon=True)
        self._worker.start()

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                self._order_once()
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # A fault, or the store closed under a stopping appliance. Recorded as a failure when it can
                # be, so the order is retried after the back-off and never in a loop.
                LOG.warning("ACME order ended without a result: %s", type(exc).__name__)
                if not self._stopping.is_set():
                    with contextlib.suppress(Exception):
                        self._record_failure(
                            None,
                            f"The order ended unexpectedly ({type(exc).__name__}). Renew again; if it fails again, "
                            "see the appliance's log.",
                            _now(),
                        )
            with self._lock:
                if not self._order_again or self._stopping.is_set():
                    self._running_fields = None
                    self._worker = None if self._worker is threading.current_thread() else self._worker
                    self._close_responder_when_off()
                    return
                self._order_again = False

    def _close_responder_when_off(self) -> None:
        with contextlib.suppress(Exception):
            _settings, enabled, _status = self._read()
            if not enabled and self._responder is not None:
                self._responder.close()

    def _check_periodically(self) -> None:
        while not self._stopping.wait(self.check_interval):
            try:
                self.check()
            except Exception as exc:  # pylint: disable=broad-exception-caught
                LOG.warning("ACME renewal check failed: %s", type(exc).__name__)

    # --- the order ----------------------------------------------------------------------------

    def _account_key(self):
        with self._store.transaction() as tx:
            stored = tx.acme_account_key()
            if stored is not None:
                return serialization.load_pem_private_key(stored.encode("ascii"), None)
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tx.save_acme_account_key(pem.decode("ascii"), describe.iso_time(_now()))
            return key

    def _certificate_key(self, settings: AcmeSettings, key_id: str | None):
        """The key the certificate is ordered for: the client's key while it has the key type asked for, else a
        new one in the appliance's key store, named after the friendly name."""
        with self._store.read() as tx:
            row = tx.key(key_id) if key_id else None
        if row is not None and key_type_of(row) == settings.key_type:
            return load_private_key(row), row["id"]
        private_key = keys.generate_private_key(key_spec(settings.key_type))
        with self._store.transaction() as tx:
            new_row = key_row(private_key, unique_key_name(tx, f"{settings.friendly_name} key"), _iso(_now()))
            tx.insert_key(new_row)
        return private_key, new_row["id"]

    def _update_status(self, **changes) -> dict:
        with self._store.transaction() as tx:
            status = dict(tx.acme_status() or _empty_status())
            status.update(changes)
            tx.save_acme_status(status)
        return status

    def _order_once(self) -> None:
        settings, enabled, status = self._read()
        if settings is None or not enabled:
            return
        with self._lock:
            self._running_fields = settings.order_fields()
        now = _now()
        status = self._update_status(state=STATE_PENDING, last_attempt_at=_iso(now))
        LOG.info("ACME order for %s started", ", ".join(settings.hostnames))
        try:
            certificate_id, key_id, account_url = self._order_and_install(settings, status)
        except OrderError as exc:
            self._record_failure(settings, str(exc), now)
            return
        self._record_success(settings, certificate_id, key_id, account_url, now)

    def _order_and_install(self, settings: AcmeSettings, status: dict) -> tuple[str, str, str | None]:
        responder = self._responder
        if responder is None:
            raise OrderError(
                "The appliance's HTTP-01 responder is not running, so no challenge can be answered. Run the "
                "appliance as a server (python -m reference_appliance serve), which starts it."
            )
        try:
            responder.listen()
        except ResponderError as exc:
            raise OrderError(str(exc)) from None
        account_key = self._account_key()
        private_key, key_id = self._certificate_key(settings, status["key_id"])
        self._update_status(key_id=key_id)
        common_name, entries = csr_names(settings)
        try:
            csr = builder.build_csr(
                private_key, subject_fields.SubjectSpec(common_name=common_name), hostnames.parse_sans(entries)
            )
        except pki_errors.PKIError as exc:
            raise OrderError(
                f"The certificate request for {', '.join(settings.hostnames)} cannot be made: {exc}"
            ) from None
        with _trust(settings.ca_bundle) as verify:
            result = order_certificate(
                OrderRequest(
                    directory_url=settings.directory_url,
                    hostnames=settings.hostnames,
                    csr_pem=csr.public_bytes(serialization.Encoding.PEM),
                    account_key=account_key,
                    contact=settings.contact,
                    eab_key_id=settings.eab_key_id,
                    eab_hmac=settings.eab_hmac,
                    verify=verify,
                ),
                responder,
            )
        _current, enabled, _status = self._read()
        if not enabled:
            raise OrderError("ACME was turned off while the order ran; the certificate was not installed.")
        certificate_id = self._install(settings, result.fullchain_pem, status["certificate_id"])
        return certificate_id, key_id, result.account_url

    def _install(self, settings: AcmeSettings, fullchain_pem: str, previous_id: str | None) -> str:
        """Import the certificate and chain, bind it, and remove the previous ACME certificate once nothing
        serves it. A refusal leaves no new certificate behind."""
        try:
            leaf = x509.load_pem_x509_certificates(fullchain_pem.encode("ascii"))[0]
        except (ValueError, UnicodeEncodeError, IndexError):
            raise OrderError("The CA returned a certificate the appliance cannot read. Renew again later.") from None
        certificate_id = fingerprints.certificate_fingerprint(leaf).replace(":", "")[:16]
        try:
            outcome = self._appliance.import_files(
                [(_ORDER_FILE, fullchain_pem.encode("ascii"))], friendly_name=settings.friendly_name
            )
        except ApplianceError as exc:
            raise OrderError(f"The certificate the CA issued cannot be imported: {exc.message}") from None
        created = any(item["id"] == certificate_id for item in outcome["imported"])
        try:
            if settings.ip_addresses:
                self._appliance.set_bindings(certificate_id, list(settings.ip_addresses))
        except ApplianceError as exc:
            if created:
                with contextlib.suppress(ApplianceError):
                    self._appliance.delete_certificate(certificate_id)
            raise OrderError(
                f"The CA issued the certificate, but it cannot be assigned to {', '.join(settings.ip_addresses)}: "
                f"{exc.message}"
            ) from None
        if previous_id and previous_id != certificate_id:
            self._remove_if_unused(previous_id, certificate_id)
        return certificate_id

    def _remove_if_unused(self, previous_id: str, current_id: str) -> None:
        """Delete the previous ACME certificate when no address serves it, and its key when nothing uses it."""
        try:
            if self._appliance.get_bindings(previous_id)["ip_addresses"]:
                return
            previous_key = self._appliance.get_certificate(previous_id)["key_id"]
            self._appliance.delete_certificate(previous_id)
        except ApplianceError:
            return
        current_key = self._appliance.get_certificate(current_id)["key_id"]
        if previous_key and previous_key != current_key:
            with contextlib.suppress(ApplianceError):
                self._appliance.delete_key(previous_key)

    def _record_failure(self, settings: AcmeSettings | None, message: str, started: datetime.datetime) -> None:
        current, enabled, status = self._read()
        if not enabled:
            return
        settings = settings or current
        failures = int(status["failures"] or 0) + 1
        retry_at = started + schedule.retry_delay(failures)
        self._update_status(state=STATE_FAILED, last_error=message, failures=failures, next_renewal_at=_iso(retry_at))
        LOG.warning("ACME order for %s failed: %s", ", ".join(settings.hostnames), message)

    def _record_success(self, settings, certificate_id, key_id, account_url, started) -> None:
        """The new certificate and its renewal schedule, written together: GET never shows one without the
        other."""
        now = _now()
        success = {
            "state": STATE_VALID,
            "last_success_at": _iso(now),
            "last_error": None,
            "failures": 0,
            "certificate_id": certificate_id,
            "key_id": key_id,
            "account_url": account_url,
            "ari_start": None,
            "ari_end": None,
            "ari_next_check_at": None,
        }
        row, cert = self._certificate(certificate_id)
        try:
            _decision, planned = self._schedule(settings, row, cert, success, now, fetch=True)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # The certificate is installed: whatever the renewal information did, the lifetime decides.
            LOG.warning("ACME renewal information not used: %s", type(exc).__name__)
            _decision, planned = self._schedule(settings, row, cert, success, now, fetch=False)
        self._update_status(**{**success, **planned})
        LOG.info("ACME order for %s installed certificate %s", ", ".join(settings.hostnames), certificate_id)

    # --- the renewal schedule -----------------------------------------------------------------

    def _schedule(self, settings, row, cert, status, now, fetch: bool) -> tuple[schedule.RenewalDecision, dict]:
        """When the certificate is renewed, from ``status``; with ``fetch``, the renewal information is fetched
        first when due. The decision and the status fields to record."""
        window = None
        if status["ari_start"] and status["ari_end"]:
            window = schedule.Window(_parsed(status["ari_start"]), _parsed(status["ari_end"]))
        changes = {}
        next_check = _parsed(status["ari_next_check_at"])
        if fetch and (next_check is None or now >= next_check):
            with _trust(settings.ca_bundle) as verify:
                info = renewal_info(settings.directory_url, verify, cert, now)
            window = info.window if info.supported else None
            changes.update(
                ari_start=_iso(window.start) if window else None,
                ari_end=_iso(window.end) if window else None,
                ari_next_check_at=_iso(now + info.recheck_after),
            )
        decision = schedule.renewal_decision(
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
            now,
            window=window,
            fraction=schedule.selection_fraction(row["der"]),
            installed_at=_parsed(status["last_success_at"]),
        )
        changes.update(next_renewal_at=_iso(decision.renew_at), renewal_basis=decision.basis)
        return decision, changes

    def _refresh_schedule(
        self, settings: AcmeSettings, now: datetime.datetime, fetch: bool = True
    ) -> tuple[schedule.RenewalDecision | None, dict]:
        """Record when the installed certificate is renewed; the decision and the status it was made on.
        Nothing is recorded when the certificate or the state changed meanwhile (an order ended): the next check
        decides on the new one."""
        _current, _enabled, status = self._read()
        row, cert = self._certificate(status["certificate_id"])
        if cert is None:
            return None, status
        decision, changes = self._schedule(settings, row, cert, status, now, fetch)
        with self._store.transaction() as tx:
            current = dict(tx.acme_status() or _empty_status())
            if not _same_order_state(current, status):
                return None, current
            current.update(changes)
            tx.save_acme_status(current)
        return decision, current

    def check(self, now: datetime.datetime | None = None) -> bool:
        """One renewal check: order when the installed certificate is due, when there is none to renew, or when
        a failed order's back-off has passed. True when an order was started.

        Never a second order for one certificate: no order while one runs, and the decision is dropped when the
        certificate or the state changed between reading and ordering."""
        now = now or _now()
        with self._lock:
            settings, enabled, status = self._read()
            if settings is None or not enabled or self._running():
                return False
            state = status["state"]
            if state == STATE_FAILED:
                retry_at = _parsed(status["next_renewal_at"])
                if retry_at is not None and now < retry_at:
                    return False
                return self._order_from_check(status)
            if state == STATE_PENDING:  # an order runs or is about to (start() resumes one a stop cut short)
                return False
            row, _cert = self._certificate(status["certificate_id"])
            if row is None:
                return self._order_from_check(status)
        decision, decided_on = self._refresh_schedule(settings, now)
        if decision is None or not decision.renew:
            return False
        with self._lock:
            _settings, enabled, current = self._read()
            if not enabled or self._running() or not _same_order_state(current, decided_on):
                return False
            return self._order_from_check(current)

    def _order_from_check(self, status: dict) -> bool:
        with self._store.transaction() as tx:
            current = dict(tx.acme_status() or status)
            current["state"] = STATE_PENDING
            tx.save_acme_status(current)
        self._start_worker()
        return True


def _same_order_state(current: dict, earlier: dict) -> bool:
    """True when no order ran between two readings of the status: same certificate, state and last attempt."""
    return all(current[name] == earlier[name] for name in ("certificate_id", "state", "last_attempt_at"))


@contextlib.contextmanager
def _trust(ca_bundle: str | None):
    """What the directory's HTTPS is checked against: the CA bundle (in a temporary file for the HTTP client),
    else the system's trust store."""
    if not ca_bundle:
        yield ssl.get_default_verify_paths().cafile or True
        return
    descriptor, path = tempfile.mkstemp(prefix="acme-ca-", suffix=".pem")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(ca_bundle)
        yield path
    finally:
        os.unlink(path)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a certificate on the appliance must be issued, reissued or renewed, and why.

The input is what ``appliance_certificate_info`` gathered and the declarative
spec of the certificate. Each reason to act is a small pure function (a
trigger) that returns a sentence when it fires and None otherwise; they are
evaluated in a fixed order, cert-manager style, and the first one that fires
decides the action. Nothing here talks to an appliance or needs
``cryptography``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from .pki.ari import acme_renewal_decision, check_window_option
from .pki.errors import PKIError, SpecError
from .pki.fingerprints import normalize_fingerprint
from .pki.hostnames import parse_san, parse_sans
from .pki.keys import KeySpec
from .pki.renewal import check_renewal_options, parse_time, renewal_decision
from .pki.subject_fields import SubjectSpec
from .procedure_rules import root_fingerprint

ACTION_NONE = "none"
ACTION_ISSUE = "issue"
ACTION_REISSUE = "reissue"
ACTION_RENEW = "renew"

PROVIDER_SELF_SIGNED = "self_signed"
PROVIDER_ACME = "acme"
PROVIDERS = ("self_signed", "local_ca", "manual", "acme")
STAMP_FORMAT = "%Y%m%d-%H%M%S"
SPEC_KEYS = (
    "name",
    "subject",
    "subject_alt_name",
    "key_type",
    "key_size",
    "key_curve",
    "expected_root_fingerprint",
    "renew_before_days",
    "renew_before_percent",
    "rekey",
    "force",
    "provider",
    "renewal_info",
    "now",
)


class DecisionError(PKIError):
    """The info or the spec cannot be decided on."""

    code = "decision_error"


@dataclass(frozen=True)
class Spec:
    """The desired certificate, validated and normalised."""

    name: str
    subject: dict
    sans: list
    key: KeySpec
    expected_root: str | None = None
    renew_before_days: float | None = None
    renew_before_percent: float | None = None
    rekey: bool = False
    force: bool = False
    provider: str = PROVIDER_SELF_SIGNED
    # For an ACME CA: ``{window, reason}``, the CA's ARI window for the current certificate (or None, and why);
    # None for the other providers.
    renewal_info: dict | None = None

    def describe_subject(self) -> str:
        """The subject as ``CN=..., O=...`` style text for reasons."""
        return _subject_text(self.subject)


@dataclass
class Situation:
    """What a trigger looks at: the spec, the current certificate and its key, and the time."""

    spec: Spec
    current: dict | None
    key: dict | None
    now: datetime.datetime
    info: dict = field(default_factory=dict)
    now_given: bool = False


# --- parsing --------------------------------------------------------------------------


def _as_bool(value, option: str) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise SpecError(f"{option} must be true or false, got '{value}'.")


def _subject_dict(subject) -> dict:
    return SubjectSpec.from_dict(subject or {}).as_dict()


def _subject_text(subject: dict) -> str:
    labels = (
        ("common_name", "CN"),
        ("organizational_unit_name", "OU"),
        ("organization_name", "O"),
        ("locality_name", "L"),
        ("state_or_province_name", "ST"),
        ("country_name", "C"),
    )
    return ", ".join(f"{label}={subject[name]}" for name, label in labels if subject.get(name)) or "(empty)"


def parse_spec(spec) -> Spec:
    """Validate the spec mapping; SpecError naming the option and the fix otherwise."""
    if not isinstance(spec, dict):
        raise SpecError(f"The spec must be a mapping, got {type(spec).__name__}.")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown:
        raise SpecError(f"Unknown spec key(s): {', '.join(unknown)}.", hint=f"Use only {', '.join(SPEC_KEYS)}.")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SpecError("The spec has no name.", hint="Set name to the certificate's base friendly name.")
    sans = spec.get("subject_alt_name") or []
    if isinstance(sans, str):
        sans = [sans]
    provider = spec.get("provider") or PROVIDER_SELF_SIGNED
    if provider not in PROVIDERS:
        raise SpecError(f"provider '{provider}' is not known.", hint=f"Use one of {', '.join(PROVIDERS)}.")
    check_renewal_options(spec.get("renew_before_days"), spec.get("renew_before_percent"))
    renewal_info = spec.get("renewal_info")
    if renewal_info is not None:
        if not isinstance(renewal_info, dict):
            raise SpecError(
                f"renewal_info must be null or a mapping with window and reason, got {type(renewal_info).__name__}.",
                hint="Give the CA's ARI window of the current certificate, or null when it has none.",
            )
        check_window_option(renewal_info.get("window"))
    root = spec.get("expected_root_fingerprint")
    key_type = spec.get("key_type") or "rsa"
    size = spec.get("key_size") if key_type == "rsa" else None
    curve = spec.get("key_curve") if key_type == "ec" else None
    return Spec(
        name=name,
        subject=_subject_dict(spec.get("subject")),
        sans=[str(entry) for entry in parse_sans(sans)],
        key=KeySpec.create(key_type, size, curve),
        expected_root=normalize_fingerprint(root) if root else None,
        renew_before_days=spec.get("renew_before_days"),
        renew_before_percent=spec.get("renew_before_percent"),
        rekey=_as_bool(spec.get("rekey"), "rekey"),
        force=_as_bool(spec.get("force"), "force"),
        provider=provider,
        renewal_info=dict(renewal_info) if renewal_info is not None else None,
    )


def check_info(info) -> None:
    """Refuse an info result that is not a successful gather of certificates and keys."""
    if not isinstance(info, dict):
        raise DecisionError(
            f"The info must be the registered result of bomgar.pki.appliance_certificate_info, got "
            f"{type(info).__name__}."
        )
    if info.get("failed"):
        raise DecisionError(
            f"The appliance_certificate_info task failed: {info.get('msg', 'no message')}.",
            hint="Fix that task first; nothing can be decided without the appliance's state.",
        )
    missing = [key for key in ("certificates", "keys") if not isinstance(info.get(key), list)]
    if missing:
        raise DecisionError(
            f"The info has no {' and no '.join(missing)}.",
            hint="Register appliance_certificate_info with gather including certificates and keys (the default).",
        )


# --- the current certificate ------------------------------------------------------------


def is_named(cert: dict, name: str) -> bool:
    """True when the certificate's friendly name is ``name`` or ``name`` followed by a space and more.

    How the current certificate is found: one imported by hand as ``support.example.com 2025`` counts.
    """
    friendly = cert.get("friendly_name") or ""
    return friendly == name or friendly.startswith(name + " ")


def made_by_the_role(friendly_name, name: str) -> bool:
    """True for the name the role gives what it makes: ``<name> YYYYMMDD-HHMMSS``, with ``-N`` when that was taken.

    Only what the role made is taken up (a pending request), cleaned up (an interrupted run's request and key) or
    deleted (earlier certificates beyond keep_previous); anything else with a name that starts the same is left.
    """
    return re.fullmatch(re.escape(name) + r" \d{8}-\d{6}(?:-\d+)?", str(friendly_name or "")) is not None


def find_current(certificates: list, name: str) -> dict | None:
    """The newest server certificate named ``name`` (by not_before, then created_at, friendly name, position)."""
    candidates = [
        (str(cert.get("not_before") or ""), str(cert.get("created_at") or ""), str(cert.get("friendly_name")), index)
        for index, cert in enumerate(certificates)
        if is_named(cert, name) and cert.get("role", "server") == "server" and not cert.get("factory_default")
    ]
    if not candidates:
        return None
    return certificates[max(candidates)[-1]]


def key_of(info: dict, cert: dict | None) -> dict | None:
    """The appliance key of ``cert`` (by key_id), or None when the appliance has no key for it."""
    if not cert or not cert.get("key_id"):
        return None
    return next((key for key in info.get("keys") or [] if key.get("id") == cert["key_id"]), None)


def key_text(key: dict | None) -> str:
    """``RSA 2048`` / ``EC P-256`` of a public_key or key dict."""
    if not key:
        return "unknown"
    if key.get("type") == "rsa":
        return f"RSA {key.get('size')}"
    if key.get("type") == "ec":
        return f"EC {key.get('curve')}"
    return str(key.get("type"))


def _normalized_sans(sans) -> list:
    result = []
    for item in sans or []:
        try:
            result.append(str(parse_san(item)))
        except PKIError:
            result.append(str(item).lower())
    return list(dict.fromkeys(result))


# --- triggers, in order -------------------------------------------------------------------


def trigger_missing(situation: Situation) -> str | None:
    """Fires when no certificate of this name is on the appliance."""
    if situation.current is None:
        return f"no certificate named '{situation.spec.name}' is on the appliance, so one is issued"
    return None


def trigger_forced(situation: Situation) -> str | None:
    """Fires when force is set."""
    if situation.spec.force:
        return f"force is true, so '{situation.current['friendly_name']}' is reissued"
    return None


def trigger_rekey(situation: Situation) -> str | None:
    """Fires when rekey is set: a new key is made even though the current one may still match."""
    if situation.spec.rekey:
        return f"rekey is true, so '{situation.current['friendly_name']}' is reissued with a new key"
    return None


def trigger_key_changed(situation: Situation) -> str | None:
    """Fires when the current certificate's key is not of the requested type and size or curve."""
    current = situation.current.get("public_key") or situation.key or {}
    wanted = situation.spec.key
    if current.get("type") != wanted.type:
        differs = True
    elif wanted.type == "rsa":
        differs = current.get("size") != wanted.size
    else:
        differs = current.get("curve") != wanted.curve
    if differs:
        return (
            f"the key of '{situation.current['friendly_name']}' is {key_text(current)}, "
            f"but {wanted.describe()} is wanted, so it is reissued with a new key"
        )
    return None


def trigger_spec_changed(situation: Situation) -> str | None:
    """Fires when the subject fields or the alternative names (as a set, and the first one) differ.

    An ACME CA writes the subject it chooses (the names only), so for the acme provider only the names count.
    """
    current = situation.current
    changes = []
    subject = _subject_dict({k: v for k, v in (current.get("subject") or {}).items() if k in _subject_fields()})
    if subject != situation.spec.subject and situation.spec.provider != PROVIDER_ACME:
        changes.append(f"subject {_subject_text(subject)} -> {situation.spec.describe_subject()}")
    current_sans = _normalized_sans(current.get("subject_alt_name"))
    wanted_sans = situation.spec.sans
    if set(current_sans) != set(wanted_sans):
        added = [san for san in wanted_sans if san not in current_sans]
        removed = [san for san in current_sans if san not in wanted_sans]
        parts = ([f"adds {', '.join(added)}"] if added else []) + ([f"drops {', '.join(removed)}"] if removed else [])
        changes.append(f"alternative names: the spec {' and '.join(parts)}")
    elif current_sans and wanted_sans and current_sans[0] != wanted_sans[0]:
        changes.append(f"first alternative name {current_sans[0]} -> {wanted_sans[0]}")
    if changes:
        return (
            f"'{current['friendly_name']}' does not match the spec ({'; '.join(changes)}), "
            "so it is reissued with the same key"
        )
    return None


def _subject_fields() -> tuple:
    return tuple(SubjectSpec().__dataclass_fields__)


def trigger_ca_changed(situation: Situation) -> str | None:
    """Fires when the certificate does not chain to the expected root, or its issuance does not fit the provider."""
    current = situation.current
    name = current["friendly_name"]
    spec = situation.spec
    self_signed = bool(current.get("self_signed"))
    if spec.expected_root:
        root = root_fingerprint(current)
        if root is None:
            return (
                f"the chain of '{name}' is incomplete on the appliance, so it cannot be shown to end in the expected "
                f"root {spec.expected_root}; it is reissued with the same key"
            )
        if root != spec.expected_root:
            return (
                f"'{name}' chains to root {root}, not to the expected root {spec.expected_root}, "
                "so it is reissued with the same key"
            )
    if self_signed and spec.provider != PROVIDER_SELF_SIGNED:
        return f"'{name}' is self-signed but the provider is {spec.provider}, so it is reissued with the same key"
    if not self_signed and spec.provider == PROVIDER_SELF_SIGNED:
        return f"'{name}' is CA-signed but the provider is self_signed, so it is reissued with the same key"
    return None


def trigger_renewal_due(situation: Situation) -> str | None:
    """Fires when renewal is due (see :func:`renewal_of` for which window and time decide)."""
    current = situation.current
    decision = renewal_of(current, situation.spec, situation.now, situation.now_given)
    if decision["renewal_due"]:
        return f"'{current['friendly_name']}' is due for renewal: {decision['reason']}"
    return None


def renewal_of(cert: dict, spec: Spec, now: datetime.datetime, now_given: bool = False) -> dict:
    """``{renewal_due, reason}`` of a certificate dict.

    For an ACME CA (``renewal_info`` in the spec) the CA's ARI window decides when it gives one, else the lifetime
    rule (:func:`pki.ari.acme_renewal_decision`). Otherwise recomputed at ``now`` from the validity when the spec
    gives a renewal window or a time; else the decision appliance_certificate_info made (with the window it was
    given) is used as it is.
    """
    if spec.renewal_info is not None and cert.get("not_before") and cert.get("not_after"):
        return acme_renewal_decision(
            cert["not_before"],
            cert["not_after"],
            now=now,
            window=spec.renewal_info.get("window"),
            no_window_reason=spec.renewal_info.get("reason"),
            renew_before_days=spec.renew_before_days,
            renew_before_percent=spec.renew_before_percent,
        )
    from_info = "renewal_due" in cert and "renewal_reason" in cert
    has_window = spec.renew_before_days is not None or spec.renew_before_percent is not None
    if (from_info and not has_window and not now_given) or not cert.get("not_before") or not cert.get("not_after"):
        return {"renewal_due": bool(cert.get("renewal_due")), "reason": cert.get("renewal_reason") or "unknown"}
    return renewal_decision(
        parse_time(cert["not_before"]),
        parse_time(cert["not_after"]),
        now=now,
        renew_before_days=spec.renew_before_days,
        renew_before_percent=spec.renew_before_percent,
    ).as_dict()


# Each trigger with the action it leads to and whether it needs a new key.
TRIGGERS = (
    ("missing", trigger_missing, ACTION_ISSUE, True),
    ("forced", trigger_forced, ACTION_REISSUE, False),
    ("rekey", trigger_rekey, ACTION_REISSUE, True),
    ("key_changed", trigger_key_changed, ACTION_REISSUE, True),
    ("spec_changed", trigger_spec_changed, ACTION_REISSUE, False),
    ("ca_changed", trigger_ca_changed, ACTION_REISSUE, False),
    ("renewal_due", trigger_renewal_due, ACTION_RENEW, False),
)


# --- the decision -----------------------------------------------------------------------------


def stamp_of(now: datetime.datetime) -> str:
    """``YYYYMMDD-HHMMSS`` in UTC."""
    return now.astimezone(datetime.timezone.utc).strftime(STAMP_FORMAT)


def _nothing_to_do(situation: Situation) -> str:
    current = situation.current
    renewal = renewal_of(current, situation.spec, situation.now, situation.now_given)
    return (
        f"nothing to do: '{current['friendly_name']}' matches the spec ({key_text(current.get('public_key'))}, "
        f"{len(situation.spec.sans)} alternative names) and {renewal['reason']}"
    )


def decide(info: dict, spec: dict, now=None) -> dict:
    """The decision for ``spec`` given the ``info`` result; see the filter's documentation for the keys."""
    check_info(info)
    parsed = parse_spec(spec)
    given = spec.get("now") or now
    moment = parse_time(given) if given else datetime.datetime.now(datetime.timezone.utc)
    current = find_current(info["certificates"], parsed.name)
    situation = Situation(parsed, current, key_of(info, current), moment, info, bool(given))
    fired = []
    for name, trigger, action, needs_key in TRIGGERS:
        reason = trigger(situation)
        if reason:
            fired.append((name, reason, action, needs_key))
        if name == "missing" and reason:
            break
    stamp = stamp_of(moment)
    reasons = [reason for _name, reason, _action, _needs in fired]
    if not fired:
        return _result(ACTION_NONE, [_nothing_to_do(situation)], [], situation, stamp, False)
    action = fired[0][2]
    new_key = any(needs for _name, _reason, _action, needs in fired)
    if not new_key and situation.key is None:
        new_key = True
        reasons.append(f"the key of '{current['friendly_name']}' is not on the appliance, so a new key is used")
    return _result(action, reasons, [name for name, *_rest in fired], situation, stamp, new_key)


def unused_name(base: str, info: dict) -> str:
    """``base``, or ``base-2``, ``base-3``, ... when a certificate, request or key of the appliance has it already.

    Two issuances within the same second (a renewal, then a re-key) would otherwise share a friendly name.
    """
    taken = {cert.get("friendly_name") for cert in info.get("certificates") or []}
    taken |= {request.get("friendly_name") for request in info.get("requests") or []}
    taken |= {key.get("name") for key in info.get("keys") or []}
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _result(action: str, reasons: list, triggers: list, situation: Situation, stamp: str, new_key: bool) -> dict:
    name = situation.spec.name
    current = situation.current
    new_name = unused_name(f"{name} {stamp}", situation.info) if action != ACTION_NONE else None
    friendly_name = current["friendly_name"] if action == ACTION_NONE else new_name
    current_key_name = situation.key.get("name") if situation.key else None
    key_name = new_name if new_key else current_key_name
    key_names = {key.get("name") for key in situation.info.get("keys") or []}
    return {
        "action": action,
        "reasons": reasons,
        "triggers": triggers,
        "current": current,
        "key_name": key_name,
        "new_key": new_key,
        "key_exists": key_name in key_names,
        "friendly_name": friendly_name,
        "stamp": stamp,
    }

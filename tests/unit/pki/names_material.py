# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates and subjects shared by the tests of hostnames, subject fields and the naming rules."""

from __future__ import annotations

import datetime

import cryptography_vectors
from ansible_collections.bomgar.pki.plugins.module_utils.pki.subject_fields import SubjectSpec
from cryptography import x509
from cryptography.hazmat.primitives import hashes

FULL_SUBJECT = SubjectSpec(
    common_name="Bomgar Support",
    country_name="DE",
    state_or_province_name="Bavaria",
    locality_name="Munich",
    organization_name="Example GmbH",
    organizational_unit_name="IT",
)


def self_signed(key, subject: x509.Name, general_names=None, extra_extensions=()):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if general_names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    for extension in extra_extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(key, hashes.SHA256())


def vector_certificate(path):
    with cryptography_vectors.open_vector_file(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())

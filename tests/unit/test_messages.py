# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The grammar of messages: "an Ed25519 key", "an IP address", never "a ed25519" or "a IP"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import with_article

ROOT = Path(__file__).resolve().parents[2]
# "a {…}" in an f-string: the article cannot know the word that will stand there.
_ARTICLE_BEFORE_PLACEHOLDER = re.compile(r"""\b[Aa] \{""")
# "a" before a word that is spoken with a vowel sound first.
_A_BEFORE_VOWEL_SOUND = re.compile(r"""\b[Aa] (?:IP|RSA|EC|Ed25519|ed25519|intermediate|HTTP|HTTPS|X\.509|SSL)\b""")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Ed25519 key", "an Ed25519 key"),
        ("RSA key", "an RSA key"),
        ("EC key", "an EC key"),
        ("IP address", "an IP address"),
        ("DNS name", "a DNS name"),
        ("intermediate", "an intermediate"),
        ("root", "a root"),
        ("8192-bit", "an 8192-bit"),
        ("1024-bit", "a 1024-bit"),
        ("512-bit", "a 512-bit"),
        ("int", "an int"),
        ("str", "a str"),
        ("X.509 certificate", "an X.509 certificate"),
        ("PEM block", "a PEM block"),
    ],
)
def test_with_article(word, expected):
    assert with_article(word) == expected
    assert with_article(word, capital=True) == expected[0].upper() + expected[1:]


def _sources():
    for folder in ("plugins", "reference_appliance"):
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_no_message_puts_a_fixed_article_before_a_word_it_does_not_know_or_a_vowel_sound():
    found = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if _ARTICLE_BEFORE_PLACEHOLDER.search(code) or _A_BEFORE_VOWEL_SOUND.search(code):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)

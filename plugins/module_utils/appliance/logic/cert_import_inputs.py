# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inputs of appliance_cert_import: files, folders and content entries, read on the controller by content.

Every input is read and loaded before anything is sent (docs/procedure.md, rule
R3.1: the format is found from the content, never from the file name), so that a
wrong passphrase or an unknown format fails before the appliance is touched.

A folder named in ``src`` stands for the regular files directly in it, in name
order: that is the drop folder where the CA's answer is put. A file of a folder
that holds no certificate or key in a known format is left out with a warning
(a drop folder can hold other things, such as the CA's covering letter); a file
named on its own must load. With ``for_public_key`` (waiting for the answer to a
request), a ``src`` that does not exist yet holds nothing so far.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

from ..files import special_file_kind

try:
    from ...pki import formats
    from ...pki.errors import PassphraseError, UnrecognizedFormat
except ImportError:  # reported through deps.require_cryptography()
    formats = None
    PassphraseError = UnrecognizedFormat = ()

MAX_INPUT_BYTES = 1024 * 1024
_PEM_MARKER = "-----BEGIN "


@dataclass
class SourceFile:
    """One input: its name in messages, its original bytes, what was found in it, and whether a folder gave it."""

    name: str
    data: bytes
    items: list = field(default_factory=list)
    in_folder: bool = False


def decode_content(text: str, name: str) -> bytes:
    """The bytes of one ``content`` entry: PEM text as it stands, anything else read as base64 of a binary file."""
    if _PEM_MARKER in text:
        return text.encode("utf-8")
    compact = "".join(text.split())
    try:
        data = base64.b64decode(compact.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        data = b""
    if not data:
        raise ValueError(
            f"{name} is neither PEM text (no '-----BEGIN' line) nor base64. Give the PEM text of the file, or the "
            "base64 of a binary file (DER, PKCS#7, PKCS#8, PKCS#12), e.g. the 'content' that ansible.builtin.slurp "
            "returns."
        )
    return data


def check_size(size: int, name: str) -> str | None:
    """A message when a file is over the 1 MiB limit the appliance takes, else None."""
    if size <= MAX_INPUT_BYTES:
        return None
    return (
        f"'{name}' is {size} bytes; the limit is {MAX_INPUT_BYTES} bytes (1 MiB). Certificates, bundles and keys are "
        "far smaller: check that this is the right file."
    )


def item_summary(item) -> dict:
    """What one certificate or key in the files is, as the module reports it (never key material)."""
    return {"source": item.source, "kind": item.kind, "format": item.format, "description": item.describe()}


def folder_files(path: str) -> list[str]:
    """The regular files directly in a folder, in name order (hidden files and sub-folders left out)."""
    names = sorted(name for name in os.listdir(path) if not name.startswith("."))
    return [os.path.join(path, name) for name in names if os.path.isfile(os.path.join(path, name))]


def _read_file(ctx, path: str, shown: str) -> bytes:
    problem = check_size(os.path.getsize(path), shown)
    if problem:
        ctx.fail(problem)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        ctx.fail(f"src file '{shown}' cannot be read: {exc.strerror or exc}. Check its permissions.")
    return b""  # not reached: ctx.fail raises


def read_sources(ctx) -> list[SourceFile]:
    """Every ``src`` file (a folder: each file in it) and ``content`` entry, as bytes; fails on what is missing."""
    sources = []
    for given in ctx.params.get("src") or []:
        path = ctx.resolve_path(given)
        if os.path.isdir(path):
            sources.extend(
                SourceFile(member, _read_file(ctx, member, member), in_folder=True) for member in folder_files(path)
            )
            continue
        if not os.path.exists(path) and ctx.params.get("for_public_key"):
            continue  # the folder where the CA's answer will be put, before anything was put there
        if special_file_kind(path):
            ctx.fail(
                f"src '{given}' is {special_file_kind(path)}, neither a file nor a folder, so it is not read. Give the "
                "path of the certificate, bundle or key file, or of the folder that holds them."
            )
        if not os.path.isfile(path):
            ctx.fail(
                f"src '{given}' does not exist on the controller (looked for it as given and in the files/ folders "
                "of the role and the play). Give the path of the certificate, bundle or key file, or of the folder "
                "that holds them."
            )
        sources.append(SourceFile(given, _read_file(ctx, path, given)))
    for position, text in enumerate(ctx.params.get("content") or []):
        name = f"content[{position}]"
        try:
            data = decode_content(text, name)
        except ValueError as exc:
            ctx.fail(str(exc))
        problem = check_size(len(data), name)
        if problem:
            ctx.fail(problem)
        sources.append(SourceFile(name, data))
    return sources


def load_sources(ctx, sources: list[SourceFile], passphrase) -> tuple[list[SourceFile], list[dict]]:
    """``(sources with their items, left out)``: each input loaded by its content.

    A file of a folder that cannot be loaded is left out (``{source, reason}``, and a warning); any other input
    that cannot be loaded fails the task with the core's message.
    """
    loaded_sources, left_out = [], []
    for source in sources:
        try:
            loaded = formats.load_bytes_with_notes(source.data, passphrase, source=source.name)
        except (UnrecognizedFormat, PassphraseError) as exc:
            if not source.in_folder:
                raise
            left_out.append({"source": source.name, "reason": str(exc)})
            ctx.warn(f"Left out {source.name} of the folder: {exc}")
            continue
        source.items = list(loaded.items)
        for note in loaded.notes:
            ctx.warn(note)
        loaded_sources.append(source)
    return loaded_sources, left_out

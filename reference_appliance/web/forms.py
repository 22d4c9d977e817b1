# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a browser posts: ``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies, read with the
standard library.

Text fields must be UTF-8; a file field keeps its bytes and the file name the browser gave. The body has already
passed the API guard's size and time limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import collapse_rfc2231_value
from urllib.parse import parse_qsl


class FormError(ValueError):
    """The body cannot be read as a form; the message says what to send instead."""


@dataclass
class Form:
    """The fields of one posted form, in the order they came; files apart."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str, bytes]] = field(default_factory=list)

    def first(self, name: str, default: str = "") -> str:
        """The first value of ``name``, or ``default``."""
        return next((value for key, value in self.fields if key == name), default)

    def all(self, name: str) -> list[str]:
        """Every value of ``name`` (checkboxes and repeated fields), in order."""
        return [value for key, value in self.fields if key == name]

    def has(self, name: str) -> bool:
        """True when ``name`` was posted (a ticked checkbox, the button that was pressed)."""
        return any(key == name for key, _value in self.fields)

    def files_of(self, name: str) -> list[tuple[str, bytes]]:
        """``(file name, bytes)`` of every file chosen in the file field ``name`` (an empty choice is left out)."""
        return [(filename, data) for key, filename, data in self.files if key == name and (filename or data)]

    def values(self) -> dict[str, list[str]]:
        """Every text field's values by name."""
        values: dict[str, list[str]] = {}
        for key, value in self.fields:
            values.setdefault(key, []).append(value)
        return values


def _header_parameters(value: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = value
    params = message.get_params(failobj=[], header="content-type")[1:]
    return message.get_content_type(), {key.lower(): collapse_rfc2231_value(val) for key, val in params}


def _disposition(value: str) -> dict[str, str]:
    message = Message()
    message["content-disposition"] = value
    params = message.get_params(failobj=[], header="content-disposition")[1:]
    return {key.lower(): collapse_rfc2231_value(val) for key, val in params}


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(
            f"The field {what} is not UTF-8 text. Send the form from a browser page of this appliance."
        ) from None


def parse_form(content_type: str | None, body: bytes) -> Form:
    """The form in ``body``; FormError when it is neither of the two form encodings."""
    kind, params = _header_parameters(content_type or "")
    if kind == "application/x-www-form-urlencoded" or (not body and kind in ("text/plain", "")):
        text = _text(body, "list")
        try:
            return Form(fields=parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict"))
        except UnicodeDecodeError:
            raise FormError("A field of the form is not UTF-8 text. Send the form from a browser page.") from None
    if kind == "multipart/form-data":
        boundary = params.get("boundary", "")
        if not boundary:
            raise FormError("The form's Content-Type names no multipart boundary. Send the form from a browser page.")
        return _parse_multipart(body, boundary.encode("latin-1"))
    raise FormError(
        "This page takes a form (application/x-www-form-urlencoded or multipart/form-data). "
        "Send the form from a browser page of this appliance."
    )


def _parse_multipart(body: bytes, boundary: bytes) -> Form:
    form = Form()
    delimiter = b"--" + boundary
    parts = body.split(delimiter)
    if len(parts) < 3:
        raise FormError("The multipart form has no parts. Send the form from a browser page.")
    for raw in parts[1:-1]:
        part = raw.removeprefix(b"\r\n").removeprefix(b"\n").removesuffix(b"\n").removesuffix(b"\r")
        blank = _BLANK_LINE.search(part)
        if blank is None:
            raise FormError("A part of the multipart form has no headers. Send the form from a browser page.")
        head = part[: blank.start()].decode("utf-8", "replace")
        data = part[blank.end() :]
        headers = {}
        for line in re.split(r"\r?\n", head):
            name, _colon, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        disposition = _disposition(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if not name:
            raise FormError("A part of the multipart form has no field name. Send the form from a browser page.")
        if "filename" in disposition:
            form.files.append((name, disposition["filename"], data))
        else:
            form.fields.append((name, _text(data, repr(name))))
    return form

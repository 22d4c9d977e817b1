# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Altered pages, for tests of a client that reads the pages: the appliance shows its pages as another software
version might. Off unless ``serve --web-alteration SPEC`` (repeatable) asks for them.

- ``rename:<old text>=<new text>``: every label, button caption, heading, link text, column or row heading and
  dropdown choice that reads ``old text`` reads ``new text``; the form behind it works as before.
- ``remove-button:<caption>``: no page has a button with that caption.
- ``require-field:<page title>=<label>``: the form(s) of the page with that title get one more required text
  field labelled ``label``; a POST from that page without a value for it is refused with "<label> is
  required." and changes nothing.

They are applied to every rendered page (and, for ``require-field``, to the handling of its forms), in the
order given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from .html import EXTRA_FIELDS, esc, text_field

KINDS = ("rename", "remove-button", "require-field")
_TEXT_ELEMENT = re.compile(r"<(label|button|h1|h2|h3|a|th|option|legend)\b([^>]*)>([^<]*)</\1>", re.IGNORECASE)


class AlterationError(ValueError):
    """A SPEC that cannot be used; the message shows the forms that can."""


@dataclass(frozen=True)
class Alteration:
    """One alteration: its kind and its two texts (``old``/``new``, caption, or page title/label)."""

    kind: str
    first: str
    second: str = ""

    @property
    def spec(self) -> str:
        """The SPEC it was made from."""
        return f"{self.kind}:{self.first}" + (f"={self.second}" if self.kind != "remove-button" else "")


_USAGE = (
    "Give one of: rename:<old text>=<new text>, remove-button:<caption>, "
    "require-field:<page title>=<label> (for example require-field:Security :: Certificates :: New Certificate"
    "=Ticket Number)."
)


def _collapsed(text: str) -> str:
    return " ".join(text.split())


def parse_alteration(spec: str) -> Alteration:
    """The alteration a SPEC names; AlterationError saying what is wrong."""
    kind, colon, rest = spec.partition(":")
    if not colon or kind not in KINDS:
        raise AlterationError(
            f"--web-alteration {spec!r} does not start with a known kind ({', '.join(KINDS)}). {_USAGE}"
        )
    if kind == "remove-button":
        caption = _collapsed(rest)
        if not caption:
            raise AlterationError(f"--web-alteration {spec!r} names no button caption. {_USAGE}")
        return Alteration(kind, caption)
    first, equals, second = rest.partition("=")
    first, second = _collapsed(first), _collapsed(second)
    if not equals or not first or not second:
        what = "the old text and the new text" if kind == "rename" else "the page title and the field label"
        raise AlterationError(f"--web-alteration {spec!r} needs both {what}, joined by '='. {_USAGE}")
    return Alteration(kind, first, second)


@dataclass(frozen=True)
class ExtraField:
    """A field a ``require-field`` alteration adds: its label and the name it is posted under."""

    label: str
    name: str


class Alterations:
    """The alterations of one appliance's pages."""

    def __init__(self, specs=()):
        self.items = [parse_alteration(spec) for spec in specs]
        self._extra: dict[str, list[ExtraField]] = {}
        for number, item in enumerate(self.items, start=1):
            if item.kind == "require-field":
                self._extra.setdefault(item.first, []).append(ExtraField(item.second, f"extra_field_{number}"))

    def __bool__(self) -> bool:
        return bool(self.items)

    def extra_fields(self, page_title: str) -> list[ExtraField]:
        """The fields the page titled ``page_title`` has in addition to its own."""
        return list(self._extra.get(page_title, []))

    def missing(self, page_title: str, values: dict[str, list[str]]) -> list[str]:
        """The refusals for the added fields of that page that were posted without a value."""
        return [
            f"{extra.label} is required."
            for extra in self.extra_fields(page_title)
            if not "".join(values.get(extra.name, [])).strip()
        ]

    def apply(self, page: str, page_title: str, values: dict[str, list[str]] | None = None) -> str:
        """``page`` (the rendered HTML of the page titled ``page_title``) as the alterations show it."""
        extra = "".join(
            text_field(
                f"extra-{field.name}",
                field.name,
                field.label,
                (values or {}).get(field.name, [""])[0],
                required=True,
            )
            for field in self.extra_fields(page_title)
        )
        page = page.replace(EXTRA_FIELDS, extra)
        for item in self.items:
            if item.kind == "rename":
                page = _TEXT_ELEMENT.sub(lambda match, item=item: _renamed(match, item), page)
            elif item.kind == "remove-button":
                page = _TEXT_ELEMENT.sub(lambda match, item=item: _removed(match, item), page)
        return page


def _renamed(match: re.Match, item: Alteration) -> str:
    tag, attributes, text = match.groups()
    if _collapsed(unescape(text)) != item.first:
        return match.group(0)
    return f"<{tag}{attributes}>{esc(item.second)}</{tag}>"


def _removed(match: re.Match, item: Alteration) -> str:
    tag, _attributes, text = match.groups()
    if tag.lower() != "button" or _collapsed(unescape(text)) != item.first:
        return match.group(0)
    return ""

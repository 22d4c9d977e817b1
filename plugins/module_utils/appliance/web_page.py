# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pages of the appliance's /appliance web interface, read as a screen reader reads them.

Standard library only (``html.parser``). A :class:`Page` gives what a person
sees: its title (the ``<h1>``), its sections (``<section>`` and the first
heading in it), its forms with their fields found by ``<label>`` text, the
choices of a dropdown by their text, buttons by caption, links by text, tables
by column heading, label / value tables, and the messages (``role="alert"``,
``role="status"``). Nothing is found by element id, CSS class or field name
(docs/web-interface.md).

When a page lacks what is looked for, :class:`WebPageDifferenceError` names
the page, the text looked for and the texts of that kind the page has, and a
redacted snapshot of the page is written (:func:`page_snapshot`: headings,
labels, field types, choices, buttons, links and table headings; never a
field's value, a hidden field, a token or a cookie).
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import json
import os
import re
import urllib.parse
from html.parser import HTMLParser

from .client import ApplianceError

DEFAULT_SNAPSHOT_DIR = "bomgar-web-snapshots"
VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "keygen",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Elements that start a new line of text (a cell with several values has one per line).
BLOCK_ELEMENTS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
# Elements whose text is not shown.
HIDDEN_TEXT_ELEMENTS = frozenset(("script", "style", "template", "noscript", "head", "title"))
# A start tag of the key closes an open element of the same kind, up to (not past) the boundary elements.
IMPLICIT_CLOSE = {
    "li": ("li", ("ul", "ol")),
    "option": ("option", ("select", "datalist", "optgroup")),
    "optgroup": ("optgroup", ("select",)),
    "tr": ("tr", ("table", "thead", "tbody", "tfoot")),
    "td": ("td th", ("tr", "table")),
    "th": ("td th", ("tr", "table")),
    "thead": ("thead tbody tfoot", ("table",)),
    "tbody": ("thead tbody tfoot", ("table",)),
    "tfoot": ("thead tbody tfoot", ("table",)),
    "p": ("p", ("div", "section", "form", "td", "th", "li", "body")),
    "dt": ("dt dd", ("dl",)),
    "dd": ("dt dd", ("dl",)),
}
CONTROL_TAGS = frozenset(("input", "select", "textarea", "button"))
BUTTON_INPUT_TYPES = frozenset(("submit", "image"))
NOT_FIELD_INPUT_TYPES = frozenset(("hidden", "submit", "image", "reset", "button"))
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
MAX_LISTED = 40
_SPACES = re.compile(r"\s+")


def collapse(text: str) -> str:
    """``text`` with every run of whitespace made one space, trimmed (how the contract's texts are compared)."""
    return _SPACES.sub(" ", text or "").strip()


# --- the tree ------------------------------------------------------------------------------------


class Node:
    """An element: tag, attributes, children (nodes and text), parent."""

    __slots__ = ("attrs", "children", "parent", "tag")

    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag = tag
        self.attrs = attrs
        self.children: list = []
        self.parent = parent

    def get(self, name: str, default=None):
        """An attribute's value (``default`` when absent; ``""`` for one given without a value)."""
        return self.attrs.get(name, default)

    def has(self, name: str) -> bool:
        """Whether the attribute is present (a boolean attribute such as ``required``)."""
        return name in self.attrs

    def iter(self, skip=()):
        """This element and every element below it, in document order (not below a tag in ``skip``)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node is not self and node.tag in skip:
                continue
            stack.extend(child for child in reversed(node.children) if isinstance(child, Node))

    def find_all(self, *tags: str) -> list:
        """Every element below (and including) this one with one of ``tags``, in document order."""
        return [node for node in self.iter() if node.tag in tags]

    def ancestors(self):
        """The elements this one is in, nearest first."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def inside(self, other: Node) -> bool:
        """Whether this element is ``other`` or below it."""
        return self is other or any(node is other for node in self.ancestors())

    def raw_text(self) -> str:
        """The text below this element as written (a textarea's content), markup left out."""
        parts = []
        for child in self.children:
            parts.append(child.raw_text() if isinstance(child, Node) else child)
        return "".join(parts)

    def lines(self, skip=()) -> list[str]:
        """The shown text, one entry per line (``<br>``, list items and blocks start lines), each collapsed.

        Elements with a tag in ``skip`` are left out with everything below them.
        """
        out: list[str] = [""]

        def walk(node: Node) -> None:
            for child in node.children:
                if not isinstance(child, Node):
                    out[-1] += child
                    continue
                if child.tag in HIDDEN_TEXT_ELEMENTS or child.tag in skip:
                    continue
                if child.tag == "br":
                    out.append("")
                    continue
                block = child.tag in BLOCK_ELEMENTS
                if block:
                    out.append("")
                if child.tag == "input" and child.get("type", "").lower() in BUTTON_INPUT_TYPES:
                    out[-1] += " " + (child.get("value") or "") + " "
                walk(child)
                if block:
                    out.append("")
                elif child.tag in ("td", "th", "button"):
                    out[-1] += " "

        walk(self)
        return [line for line in (collapse(text) for text in out) if line]

    def text(self, skip=()) -> str:
        """The shown text on one line, whitespace collapsed."""
        return collapse(" ".join(self.lines(skip)))


class _TreeBuilder(HTMLParser):
    """HTML to a tree of :class:`Node`, forgiving as browsers are about end tags the page leaves out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.stack = [self.root]

    def _close_implied(self, tag: str) -> None:
        rule = IMPLICIT_CLOSE.get(tag)
        if rule is None:
            return
        closes, boundaries = rule[0].split(), rule[1]
        for index in range(len(self.stack) - 1, 0, -1):
            open_tag = self.stack[index].tag
            if open_tag in closes:
                del self.stack[index:]
                return
            if open_tag in boundaries:
                return

    def handle_starttag(self, tag, attrs):
        self._close_implied(tag)
        values = {}
        for name, value in attrs:
            values.setdefault(name.lower(), "" if value is None else value)
        node = Node(tag, values, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID_ELEMENTS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS and self.stack[-1].tag == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    """The document tree of ``text``."""
    builder = _TreeBuilder()
    builder.feed(text or "")
    builder.close()
    return builder.root


# --- what a page holds ------------------------------------------------------------------------------


class Link:
    """A link: its text and where it goes (resolved against the page's address)."""

    def __init__(self, node: Node, base_url: str):
        self.node = node
        self.text = node.text()
        self.href = node.get("href") or ""
        self.url = urllib.parse.urljoin(base_url, self.href) if self.href else ""

    def __repr__(self) -> str:
        return f"Link({self.text!r})"


class Control:
    """A form control (input, select, textarea, button) with the text of its label."""

    def __init__(self, node: Node, label: str):
        self.node = node
        self.tag = node.tag
        self.type = (node.get("type") or ("submit" if node.tag == "button" else "text")).lower()
        if node.tag in ("select", "textarea"):
            self.type = node.tag
        self.name = node.get("name")
        self.label = label
        self.disabled = node.has("disabled") or any(
            parent.tag == "fieldset" and parent.has("disabled") for parent in node.ancestors()
        )
        self.required = node.has("required")
        self.multiple = node.has("multiple")

    @property
    def is_button(self) -> bool:
        """A submit button (``<button>`` of type submit, or ``<input type=submit|image>``)."""
        if self.tag == "button":
            return self.type == "submit"
        return self.tag == "input" and self.type in BUTTON_INPUT_TYPES

    @property
    def is_field(self) -> bool:
        """A field a person fills or ticks (not a button, not hidden)."""
        if self.tag in ("select", "textarea"):
            return True
        return self.tag == "input" and self.type not in NOT_FIELD_INPUT_TYPES

    @property
    def caption(self) -> str:
        """A button's caption: its text, or an input button's value."""
        if self.tag == "input":
            return collapse(self.node.get("value") or self.node.get("alt") or "")
        return self.node.text()

    def options(self) -> list:
        """A dropdown's choices: ``(text, value, selected, disabled)`` in order."""
        found = []
        for option in self.node.find_all("option"):
            text = option.text()
            value = option.get("value")
            disabled = option.has("disabled") or any(
                parent.tag == "optgroup" and parent.has("disabled") for parent in option.ancestors()
            )
            found.append((text, text if value is None else value, option.has("selected"), disabled))
        return found

    def option_texts(self) -> list[str]:
        """The visible texts of a dropdown's choices."""
        return [text for text, _value, _selected, _disabled in self.options()]

    def initial_value(self):
        """What a browser would submit for this control before anything is changed (None: nothing)."""
        if self.type in ("checkbox", "radio"):
            return (self.node.get("value") or "on") if self.node.has("checked") else None
        if self.tag == "select":
            options = self.options()
            chosen = [value for _text, value, selected, _disabled in options if selected]
            if self.multiple:
                return chosen
            if chosen:
                return chosen[-1]
            enabled = [value for _text, value, _selected, disabled in options if not disabled]
            return enabled[0] if enabled else None
        if self.tag == "textarea":
            text = self.node.raw_text()
            return text[1:] if text.startswith("\n") else text
        if self.type == "file":
            return []
        return self.node.get("value") or ""

    def __repr__(self) -> str:
        return f"Control({self.tag}/{self.type} {self.label or self.caption!r})"


class Cell:
    """A table cell: its text, its lines, its links and its controls."""

    def __init__(self, node: Node, page: Page):
        self.node = node
        self.text = node.text()
        self.lines = node.lines()
        self.links = [link for link in page.all_links if link.node.inside(node)]
        self.controls = [control for control in page.controls if control.node.inside(node)]

    def __repr__(self) -> str:
        return f"Cell({self.text!r})"


class Row:
    """A table row: its cells by column heading."""

    def __init__(self, node: Node, cells: dict):
        self.node = node
        self.cells = cells

    def __getitem__(self, heading: str) -> Cell:
        return self.cells[heading]

    def get(self, heading: str):
        """The cell under ``heading``, or None."""
        return self.cells.get(heading)

    @property
    def controls(self) -> list:
        """Every control in the row."""
        return [control for cell in self.cells.values() for control in cell.controls]


def _direct_rows(table: Node) -> list:
    """The rows of this table (not of a table inside one of its cells)."""
    return [
        node
        for node in table.iter(skip=("table",))
        if node.tag == "tr" and next((a for a in node.ancestors() if a.tag == "table"), None) is table
    ]


def _cells_of(row: Node) -> list:
    return [child for child in row.children if isinstance(child, Node) and child.tag in ("td", "th")]


class Table:
    """A table with column headings (``<thead>`` ``<th>``, or a first row of ``<th>``) and its body rows."""

    def __init__(self, node: Node, page: Page):
        self.node = node
        rows = _direct_rows(node)
        head = [row for row in rows if any(a.tag == "thead" for a in row.ancestors() if a.inside(node))]
        if not head and rows and all(cell.tag == "th" for cell in _cells_of(rows[0])) and len(_cells_of(rows[0])) > 1:
            head = rows[:1]
        self.headings = [cell.text() for cell in _cells_of(head[0])] if head else []
        self.rows = []
        self.label_rows = []
        for row in rows:
            if row in head:
                continue
            cells = _cells_of(row)
            if self.headings:
                self.rows.append(
                    Row(row, {heading: Cell(cell, page) for heading, cell in zip(self.headings, cells, strict=False)})
                )
            if len(cells) >= 2 and cells[0].tag == "th" and cells[1].tag == "td":
                self.label_rows.append((cells[0].text(), Cell(cells[1], page)))

    def __repr__(self) -> str:
        return f"Table({self.headings!r})"


class Form:
    """A form: where it goes, how, and its controls in document order."""

    def __init__(self, node: Node, page: Page):
        self.node = node
        self.page = page
        self.method = (node.get("method") or "get").upper()
        self.action = urllib.parse.urljoin(page.url, node.get("action") or "") if page.url else node.get("action", "")
        self.enctype = (node.get("enctype") or "application/x-www-form-urlencoded").lower()
        ident = node.get("id")
        self.controls = [
            control
            for control in page.controls
            if control.node.inside(node) or (ident and control.node.get("form") == ident)
        ]

    @property
    def fields(self) -> list:
        """The fields a person sees (labelled inputs, dropdowns, text areas; not hidden ones, not buttons)."""
        return [control for control in self.controls if control.is_field]

    @property
    def buttons(self) -> list:
        """The submit buttons."""
        return [control for control in self.controls if control.is_button]

    def field_labels(self) -> list[str]:
        """The label of every field, in order."""
        return [control.label for control in self.fields]

    def button_captions(self) -> list[str]:
        """The caption of every button, in order."""
        return [control.caption for control in self.buttons]

    def find_field(self, label: str) -> Control | None:
        """The field labelled ``label`` (exact, whitespace collapsed), or None."""
        wanted = collapse(label)
        return next((control for control in self.fields if control.label == wanted), None)

    def find_button(self, caption: str) -> Control | None:
        """The button captioned ``caption``, or None."""
        wanted = collapse(caption)
        return next((control for control in self.buttons if control.caption == wanted), None)

    def field(self, label: str) -> Control:
        """The field labelled ``label``; a page difference when there is none."""
        found = self.find_field(label)
        if found is None:
            raise self.page.difference("field", label, self.field_labels())
        return found

    def button(self, caption: str) -> Control:
        """The button captioned ``caption``; a page difference when there is none."""
        found = self.find_button(caption)
        if found is None:
            raise self.page.difference("button", caption, self.button_captions())
        return found

    def fill(self) -> FormFill:
        """A filling of this form, starting from what the page shows."""
        return FormFill(self)

    def __repr__(self) -> str:
        return f"Form({self.method} {self.action!r}, {self.field_labels()!r}, {self.button_captions()!r})"


class Submission:
    """What pressing a button sends: method, address, encoding, and the ``(name, value)`` entries.

    A value is text, or for a file field a list of ``(filename, bytes)``.
    """

    def __init__(self, method: str, url: str, enctype: str, entries: list, page_title: str, button: str):
        self.method = method
        self.url = url
        self.enctype = enctype
        self.entries = entries
        self.page_title = page_title
        self.button = button

    @property
    def multipart(self) -> bool:
        """Whether the form posts ``multipart/form-data`` (a file upload)."""
        return self.enctype == "multipart/form-data"

    def __repr__(self) -> str:  # never the values: a form may carry a password or a token
        return f"Submission({self.method} {self.url!r}, button {self.button!r}, {len(self.entries)} entries)"


class FormFill:
    """Values set in a form by label, then a button pressed, as a person does.

    Before a button is pressed, every required field must have a value: a required field the transport
    does not fill (one the page has beyond what the contract names) is a page difference, raised before
    anything is sent.
    """

    def __init__(self, form: Form):
        self.form = form
        self.values = {id(control): control.initial_value() for control in form.controls}
        self.touched: set = set()

    def _control(self, label: str) -> Control:
        control = self.form.field(label)
        self.touched.add(id(control))
        return control

    def set(self, label: str, value) -> FormFill:
        """Type ``value`` into the text field (or text area) labelled ``label``; None leaves it empty."""
        control = self._control(label)
        self.values[id(control)] = "" if value is None else str(value)
        return self

    def check(self, label: str, checked: bool = True) -> FormFill:
        """Tick (or clear) the checkbox labelled ``label``."""
        return self.check_control(self._control(label), checked)

    def check_control(self, control: Control, checked: bool = True) -> FormFill:
        """Tick (or clear) a checkbox found otherwise (e.g. in a table row)."""
        self.touched.add(id(control))
        self.values[id(control)] = (control.node.get("value") or "on") if checked else None
        return self

    def is_checked(self, control: Control) -> bool:
        """Whether the checkbox is ticked in this filling."""
        return self.values.get(id(control)) is not None

    def choose(self, label: str, option_text: str) -> FormFill:
        """Choose the option shown as ``option_text`` in the dropdown labelled ``label``."""
        control = self._control(label)
        wanted = collapse(option_text)
        for text, value, _selected, disabled in control.options():
            if text == wanted and not disabled:
                self.values[id(control)] = [value] if control.multiple else value
                return self
        raise self.form.page.difference("option", option_text, control.option_texts(), field=label)

    def attach(self, label: str, files: list) -> FormFill:
        """Choose files (``[(filename, bytes)]``) in the file field labelled ``label``."""
        control = self._control(label)
        self.values[id(control)] = list(files)
        return self

    def unfilled_required(self) -> list:
        """The required fields that are enabled and empty."""
        missing = []
        for control in self.form.fields:
            if not control.required or control.disabled:
                continue
            value = self.values.get(id(control))
            if value in (None, "", []):
                missing.append(control)
        return missing

    def press(self, caption: str) -> Submission:
        """What pressing the button ``caption`` sends; a page difference when it is missing, or when a required
        field is left empty (nothing is sent then)."""
        return self.press_control(self.form.button(caption))

    def press_control(self, button: Control) -> Submission:
        """What pressing ``button`` (a button of this form found otherwise, e.g. in a table row) sends."""
        caption = button.caption
        missing = self.unfilled_required()
        if missing:
            control = missing[0]
            raise self.form.page.difference(
                "required",
                control.label or control.type,
                self.form.field_labels(),
                known=sorted({c.label for c in self.form.controls if id(c) in self.touched}),
            )
        entries = []
        for control in self.form.controls:
            if control.disabled or not control.name:
                continue
            if control.is_button:
                if control is button:
                    value = control.node.get("value")
                    entries.append((control.name, value or ""))
                continue
            if control.tag == "input" and control.type in ("reset", "button"):
                continue
            value = self.values.get(id(control))
            if value is None:
                continue
            if control.type == "file":
                entries.append((control.name, list(value)))
            elif isinstance(value, list):
                entries.extend((control.name, item) for item in value)
            else:
                entries.append((control.name, value))
        method = self.form.method if self.form.method in ("GET", "POST") else "GET"
        return Submission(method, self.form.action, self.form.enctype, entries, self.form.page.title, caption)


# --- the page -------------------------------------------------------------------------------------


class Scope:
    """A page or one of its sections: what is found is looked for only inside it."""

    def __init__(self, page: Page, node: Node, name: str):
        self.page = page
        self.node = node
        self.name = name

    def _inside(self, items) -> list:
        return [item for item in items if item.node.inside(self.node)]

    @property
    def forms(self) -> list:
        """The forms in this part of the page."""
        return self._inside(self.page.all_forms)

    @property
    def tables(self) -> list:
        """The tables in this part of the page."""
        return self._inside(self.page.all_tables)

    @property
    def links(self) -> list:
        """The links in this part of the page."""
        return self._inside(self.page.all_links)

    def find_form_with_button(self, caption: str) -> Form | None:
        """The first form with a button ``caption``, or None."""
        return next((form for form in self.forms if form.find_button(caption)), None)

    def form_with_button(self, caption: str) -> Form:
        """The form with the button ``caption``; a page difference when none has it."""
        form = self.find_form_with_button(caption)
        if form is None:
            raise self.page.difference("button", caption, [c for f in self.forms for c in f.button_captions()])
        return form

    def form_with_field(self, label: str) -> Form:
        """The form with a field labelled ``label``; a page difference when none has it."""
        form = next((form for form in self.forms if form.find_field(label)), None)
        if form is None:
            raise self.page.difference("field", label, [c for f in self.forms for c in f.field_labels()])
        return form

    def find_links(self, text: str) -> list:
        """Every link whose text is ``text``."""
        wanted = collapse(text)
        return [link for link in self.links if link.text == wanted]

    def link(self, text: str) -> Link:
        """The first link ``text``; a page difference when there is none."""
        found = self.find_links(text)
        if not found:
            raise self.page.difference("link", text, [link.text for link in self.links])
        return found[0]

    def find_table(self, *columns: str) -> Table | None:
        """The first table with every one of ``columns`` among its headings, or None."""
        wanted = [collapse(column) for column in columns]
        return next((table for table in self.tables if all(c in table.headings for c in wanted)), None)

    def table(self, *columns: str) -> Table:
        """The first table with all ``columns``; a page difference naming the first missing column."""
        found = self.find_table(*columns)
        if found is not None:
            return found
        have = [heading for table in self.tables for heading in table.headings]
        missing = next((c for c in columns if collapse(c) not in have), columns[0])
        raise self.page.difference("column", missing, have)

    def label_values(self) -> dict:
        """The rows of the label / value tables (``<th>`` label, ``<td>`` value): ``{label: Cell}``."""
        found = {}
        for table in self.tables:
            for label, cell in table.label_rows:
                found.setdefault(label, cell)
        return found

    def value(self, label: str) -> Cell:
        """The value cell of the row labelled ``label``; a page difference when there is none."""
        values = self.label_values()
        if collapse(label) not in values:
            raise self.page.difference("row", label, list(values))
        return values[collapse(label)]

    @property
    def alerts(self) -> list[str]:
        """The texts of the refusals (``role="alert"``) in this part of the page."""
        return [node.text() for node in self.node.iter() if (node.get("role") or "").lower() == "alert"]

    @property
    def notices(self) -> list[str]:
        """The texts of the success notices (``role="status"``) in this part of the page."""
        return [node.text() for node in self.node.iter() if (node.get("role") or "").lower() == "status"]


class Page(Scope):
    """One page of the web interface, parsed; ``url`` is where it was read (links and forms resolve from it)."""

    def __init__(self, text: str, url: str = "", status: int = 200, snapshot_dir: str | None = None):
        self.url = url
        self.status = status
        self.snapshot_dir = snapshot_dir
        self.html = text
        self.root = parse_html(text)
        super().__init__(self, self.root, "")
        first_h1 = next(iter(self.root.find_all("h1")), None)
        self.title = first_h1.text() if first_h1 is not None else ""
        self.name = self.title
        labels_for, wrapping = {}, {}
        for label in self.root.find_all("label"):
            text = label.text(skip=CONTROL_TAGS)
            if label.get("for"):
                labels_for.setdefault(label.get("for"), text)
            for node in label.iter():
                if node.tag in CONTROL_TAGS and node is not label:
                    wrapping.setdefault(id(node), text)
        self.controls = []
        for node in self.root.iter():
            if node.tag not in CONTROL_TAGS:
                continue
            label = wrapping.get(id(node)) or labels_for.get(node.get("id") or "\0", "")
            if not label and node.get("aria-label"):
                label = collapse(node.get("aria-label"))
            self.controls.append(Control(node, label))
        self.all_links = [Link(node, url) for node in self.root.find_all("a") if node.has("href")]
        self.all_forms = [Form(node, self) for node in self.root.find_all("form")]
        self.all_tables = [Table(node, self) for node in self.root.find_all("table")]
        self.sections = []
        for node in self.root.find_all("section"):
            heading = next((n for n in node.iter() if n.tag in HEADINGS[1:] and n is not node), None)
            self.sections.append(Scope(self, node, heading.text() if heading is not None else ""))

    @property
    def headings(self) -> list[str]:
        """Every heading's text, in order."""
        return [node.text() for node in self.root.find_all(*HEADINGS)]

    def find_section(self, title: str) -> Scope | None:
        """The section headed ``title``, or None."""
        wanted = collapse(title)
        return next((section for section in self.sections if section.name == wanted), None)

    def section(self, title: str) -> Scope:
        """The section headed ``title``; a page difference when there is none."""
        found = self.find_section(title)
        if found is None:
            raise self.difference("section", title, [section.name for section in self.sections])
        return found

    def expect(self, *titles: str) -> Page:
        """This page, when its title is one of ``titles``; else a page difference."""
        if self.title in [collapse(title) for title in titles]:
            return self
        raise self.difference("page", " or ".join(titles), [self.title] if self.title else [], headings=self.headings)

    def difference(self, kind: str, wanted: str, have: list, **extra) -> WebPageDifferenceError:
        """The error for a text this page lacks, with a snapshot of the page written (see module docstring)."""
        snapshot = page_snapshot(self, {"kind": kind, "text": wanted, **extra})
        path, problem = write_snapshot(snapshot, self.snapshot_dir, self.title)
        return WebPageDifferenceError(self.title, kind, wanted, have, path, problem, **extra)

    def __repr__(self) -> str:
        return f"Page({self.title!r})"


# --- when a page differs ----------------------------------------------------------------------------

_WHAT = {
    "field": ("field labelled '{w}'", "fields"),
    "button": ("button '{w}'", "buttons"),
    "link": ("link '{w}'", "links"),
    "option": ("choice '{w}' in the field '{field}'", "choices"),
    "column": ("table with the column '{w}'", "tables' columns"),
    "section": ("section '{w}'", "sections"),
    "row": ("row labelled '{w}'", "rows"),
}


def _listed(texts: list) -> str:
    unique = list(dict.fromkeys(text for text in texts))
    shown = ", ".join(f"'{text}'" for text in unique[:MAX_LISTED])
    if len(unique) > MAX_LISTED:
        shown += f" and {len(unique) - MAX_LISTED} more"
    return shown or "none"


class WebPageDifferenceError(ApplianceError):
    """A page of the appliance lacks a text the web transport looks for (docs/web-interface.md)."""

    def __init__(self, title, kind, wanted, have, snapshot_path=None, snapshot_problem=None, **extra):
        self.page_title = title
        self.kind = kind
        self.wanted = wanted
        self.have = list(have)
        self.snapshot_path = snapshot_path
        shown = f"page '{title}'" if title else "a page without a title (no <h1>)"
        if kind == "page":
            what = (
                f"the appliance showed {shown} where page '{wanted}' was expected; its headings are: "
                f"{_listed(extra.get('headings') or [title])}"
            )
        elif kind == "required":
            what = (
                f"{shown} has a required field '{wanted}' that the web transport does not fill (it fills "
                f"{_listed(extra.get('known') or [])}), so the form was not sent; its fields are: {_listed(have)}"
            )
        else:
            phrase, plural = _WHAT.get(kind, (kind + " '{w}'", kind + "s"))
            what = f"{shown} has no {phrase.format(w=wanted, field=extra.get('field', ''))}; its {plural} are: "
            what += _listed(have)
        if snapshot_path:
            where = (
                f"A snapshot of the page (its headings, labels, buttons, links and table headings; no values) was "
                f"written to {snapshot_path}: send it with the appliance's software version (Status :: Basics, "
                "Software Version) to the maintainers of bomgar.pki."
            )
        else:
            where = f"The snapshot of the page could not be written ({snapshot_problem})."
        message = (
            f"The appliance's /appliance web interface differs from what the web transport knows: {what}. "
            f"Nothing further was sent to the appliance. {where}"
        )
        details = {"page": title, "looked_for": {"kind": kind, "text": wanted}, "found": self.have[:MAX_LISTED]}
        if snapshot_path:
            details["snapshot"] = snapshot_path
        super().__init__(message, error="web_page_difference", details=details)


def page_snapshot(page: Page, looked_for: dict | None = None) -> dict:
    """What a page is made of, without any value: headings, forms (field labels, types, required, choices,
    buttons), links (text and path), tables (headings), label / value rows (labels only), message counts."""

    def section_of(node: Node) -> str:
        for section in page.sections:
            if node.inside(section.node):
                return section.name
        return ""

    def field_entry(control: Control) -> dict:
        entry = {"label": control.label, "type": control.type, "required": control.required}
        if control.disabled:
            entry["disabled"] = True
        if control.tag == "select":
            entry["choices"] = control.option_texts()
        return entry

    forms = [
        {
            "section": section_of(form.node),
            "method": form.method,
            "action": urllib.parse.urlsplit(form.action).path,
            "fields": [field_entry(control) for control in form.fields],
            "buttons": form.button_captions(),
        }
        for form in page.all_forms
    ]
    return {
        "page": page.title,
        "path": urllib.parse.urlsplit(page.url).path,
        "http_status": page.status,
        "looked_for": dict(looked_for or {}),
        "headings": page.headings,
        "sections": [section.name for section in page.sections],
        "forms": forms,
        "links": [{"text": link.text, "path": urllib.parse.urlsplit(link.url).path} for link in page.all_links],
        "tables": [
            {"section": section_of(table.node), "columns": table.headings, "rows": len(table.rows)}
            for table in page.all_tables
        ],
        "label_value_rows": [label for table in page.all_tables for label, _cell in table.label_rows],
        "alerts": len(page.alerts),
        "notices": len(page.notices),
    }


def snapshot_name(title: str, moment: datetime.datetime | None = None) -> str:
    """``<title as a file name>-<UTC time>.json``."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title or "").strip("-") or "untitled-page"
    return f"{stem[:80]}-{moment.strftime('%Y%m%dT%H%M%S%fZ')}.json"


def write_snapshot(snapshot: dict, directory: str | None, title: str) -> tuple:
    """Write ``snapshot`` as JSON into ``directory`` (default: bomgar-web-snapshots under the current
    directory); ``(path, None)``, or ``(None, why not)``."""
    folder = os.path.abspath(directory or DEFAULT_SNAPSHOT_DIR)
    try:
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, snapshot_name(title))
        with open(path, "x", encoding="utf-8") as handle:
            json.dump(snapshot, handle, indent=2, sort_keys=True)
            handle.write("\n")
    except OSError as exc:
        return None, f"{folder}: {exc.strerror or exc}"
    return path, None


# --- a page made safe to keep -----------------------------------------------------------------------

_DROPPED_ELEMENTS = frozenset(("script", "noscript", "iframe", "object", "embed", "template", "base", "frame"))
_URL_ATTRIBUTES = frozenset(("href", "src", "action", "formaction", "srcset", "xlink:href", "ping", "background"))


class _Sanitizer(HTMLParser):
    """Re-writes a page without scripts, hidden fields, field values, links or other live addresses."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.dropping: list[str] = []
        self.in_textarea = 0

    def _attrs(self, tag: str, attrs: list) -> str:
        kept = []
        for name, value in attrs:
            lowered = name.lower()
            if lowered.startswith("on") or lowered in _URL_ATTRIBUTES or lowered in ("value", "checked", "style"):
                if lowered == "style" and value and "url(" not in value.lower():
                    kept.append((name, value))
                continue
            if tag == "meta" and lowered in ("http-equiv", "content"):
                continue
            kept.append((name, value))
        if tag == "a":
            # An address of nowhere: the page's own styles select links by their href.
            kept += [("href", "#"), ("aria-disabled", "true")]
        return "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"' for name, value in kept
        )

    def _dropped(self, tag: str, attrs: list) -> bool:
        if tag in _DROPPED_ELEMENTS:
            return True
        if tag == "input" and (dict(attrs).get("type") or "").lower() in ("hidden", "password", "file"):
            return True
        return tag == "link" and "stylesheet" not in (dict(attrs).get("rel") or "").lower()

    def handle_starttag(self, tag, attrs):
        if self.dropping:
            if tag == self.dropping[-1] and tag not in VOID_ELEMENTS:
                self.dropping.append(tag)
            return
        if self._dropped(tag, attrs):
            if tag not in VOID_ELEMENTS:
                self.dropping.append(tag)
            return
        if tag == "textarea":
            self.in_textarea += 1
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}>")

    def handle_startendtag(self, tag, attrs):
        if self.dropping or self._dropped(tag, attrs):
            return
        self.out.append(f"<{tag}{self._attrs(tag, attrs)}/>")

    def handle_endtag(self, tag):
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag == "textarea":
            self.in_textarea = max(0, self.in_textarea - 1)
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.dropping and not self.in_textarea:
            self.out.append(data)

    def handle_entityref(self, name):
        if not self.dropping and not self.in_textarea:
            self.out.append(f"&{name};")

    def handle_charref(self, name):
        if not self.dropping and not self.in_textarea:
            self.out.append(f"&#{name};")

    def handle_comment(self, data):
        return

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")


def safe_html(text: str) -> str:
    """``text`` made safe to keep and render offline: no scripts, no hidden, password or file inputs, no field
    values, no text area contents, links and forms inert (no addresses), no event handlers, no comments."""
    sanitizer = _Sanitizer()
    sanitizer.feed(text or "")
    sanitizer.close()
    return "".join(sanitizer.out)


def link_id(url: str) -> str:
    """The id of a certificate or request over the web: the address of its link (path and query)."""
    parsed = urllib.parse.urlsplit(url)
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


def address_sort_key(address: str):
    """Sorts IP addresses as the API does: numerically, anything that is not an address after them."""
    try:
        return (0, ipaddress.ip_address(address))
    except ValueError:
        return (1, address)

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pieces the pages are made of: ordinary, accessible HTML with its style inline.

Every text is escaped here. Labels, buttons, headings, links, column headings and options hold plain text only
(the alterations of ``alterations`` and the web transport read them as such). Each POST form carries the
session's CSRF value in a hidden field and ``EXTRA_FIELDS``, the place where a page alteration adds fields.
"""

from __future__ import annotations

from html import escape

EXTRA_FIELDS = "<!--extra-fields-->"
CSRF_FIELD = "csrf_token"

CSS = """
:root { --brand: #0f2d4a; --brand-2: #17446f; --accent: #1d6fb8; --accent-dark: #175a96; --bg: #eef1f5;
  --card: #ffffff; --border: #d6dce4; --text: #1d2733; --muted: #5b6878; --danger: #b42318; --ok: #0f6b3c;
  --warn: #9a4d00; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font: 14px/1.5 "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--text);
  background: var(--bg); }
a[href] { color: var(--accent); }
header.topbar { display: flex; align-items: center; justify-content: space-between; gap: 16px;
  background: linear-gradient(90deg, var(--brand), var(--brand-2)); color: #fff; padding: 0 24px; height: 54px; }
.topbar .brand { display: flex; align-items: baseline; gap: 14px; min-width: 0; }
.topbar .product { font-weight: 600; font-size: 16px; letter-spacing: .3px; white-space: nowrap; }
.topbar .host { font-size: 13px; color: #c9d8e8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.topbar .role { font-size: 11px; text-transform: uppercase; letter-spacing: .6px; color: #0f2d4a;
  background: #c9d8e8; border-radius: 10px; padding: 1px 8px; }
.topbar a.logout { color: #fff; text-decoration: none; border: 1px solid rgba(255,255,255,.55);
  border-radius: 4px; padding: 5px 14px; font-size: 13px; white-space: nowrap; }
.topbar a.logout:hover { background: rgba(255,255,255,.12); }
.shell { display: flex; align-items: stretch; min-height: calc(100vh - 54px); }
nav.menu { width: 220px; flex-shrink: 0; background: var(--card); border-right: 1px solid var(--border);
  padding: 18px 0; }
nav.menu ul { list-style: none; margin: 0; padding: 0; }
nav.menu li.area { margin-bottom: 12px; }
nav.menu li.area > a[href] { display: block; padding: 4px 22px; font-size: 11px; font-weight: 700;
  text-transform: uppercase; letter-spacing: .8px; color: var(--muted); text-decoration: none; }
nav.menu li.area li a[href] { display: block; padding: 7px 22px 7px 30px; color: var(--text); text-decoration: none;
  border-left: 3px solid transparent; }
nav.menu li.area li a:hover { background: #f2f6fa; }
nav.menu li.area li a[aria-current="page"] { border-left-color: var(--accent); background: #e7f0f9;
  color: var(--accent-dark); font-weight: 600; }
main { flex: 1; min-width: 0; padding: 26px 30px 40px; max-width: 1440px; }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 20px; color: var(--brand); }
h2 { font-size: 16px; font-weight: 600; margin: 0 0 14px; color: var(--brand); }
section, .card { background: var(--card); border: 1px solid var(--border); border-radius: 6px;
  padding: 18px 22px 20px; margin: 0 0 22px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
p { margin: 0 0 12px; }
.lead { color: var(--muted); margin: -6px 0 16px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 8px 9px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.list { font-size: 13px; }
table.list td { overflow-wrap: break-word; }
td.nowrap { white-space: nowrap; }
thead th { background: #f5f7fa; color: var(--muted); font-size: 12px; font-weight: 600; white-space: nowrap;
  border-bottom: 2px solid var(--border); }
tbody tr:hover { background: #f8fafc; }
table.details { width: auto; min-width: 60%; }
table.details th { width: 280px; color: var(--muted); font-weight: 600; background: none; white-space: nowrap; }
table.details td { overflow-wrap: anywhere; }
td.none::after { content: "None"; color: #98a2b3; }
td.mono, .mono { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 12px;
  word-break: break-all; }
td.select { width: 34px; }
.table-wrap { overflow-x: auto; }
.empty { color: var(--muted); font-style: italic; margin: 10px 0 0; }
.field { margin: 0 0 14px; }
.field > label { display: block; font-weight: 600; margin: 0 0 4px; }
.hint { display: block; color: var(--muted); font-size: 12px; margin-top: 3px; }
input[type=text], input[type=password], select, textarea { font: inherit; color: var(--text); width: 100%;
  max-width: 440px; padding: 7px 10px; border: 1px solid #b9c3ce; border-radius: 4px; background: #fff; }
input[type=file] { font: inherit; }
input:focus, select:focus, textarea:focus { outline: 2px solid #9cc3ea; outline-offset: 0;
  border-color: var(--accent); }
textarea { max-width: 100%; min-height: 220px; font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace;
  font-size: 12px; background: #f8fafc; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 440px)); column-gap: 28px; }
.inline { display: flex; gap: 8px; align-items: center; max-width: 560px; }
.inline input[type=text] { flex: 1; }
button { font: inherit; font-weight: 600; padding: 7px 16px; border-radius: 4px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; cursor: pointer; white-space: nowrap; }
button:hover { background: var(--accent-dark); border-color: var(--accent-dark); }
button.secondary { background: #fff; color: var(--accent-dark); border-color: #a9c3dd; }
button.secondary:hover { background: #eef4fa; }
button.danger { background: #fff; color: var(--danger); border-color: #f0b4ae; }
button.danger:hover { background: #fef3f2; }
button.small { padding: 3px 10px; font-size: 12px; }
.buttons { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-top: 18px; }
.buttons + .lead { margin-top: 18px; }
.actions { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-top: 14px; }
.actions label { font-weight: 600; }
.actions select { width: auto; min-width: 140px; }
.message { padding: 10px 14px; border-radius: 5px; margin: 0 0 18px; border: 1px solid; }
.message.alert { background: #fef3f2; border-color: #f5b5ae; color: var(--danger); }
.message.status { background: #ecfdf3; border-color: #8fdcb0; color: var(--ok); }
.note { background: #fffaeb; border: 1px solid #fedf89; color: #93370d; padding: 10px 14px; border-radius: 5px; }
.chain-warning { color: var(--warn); font-size: 12px; }
.chain-warning::before { content: "\\26A0\\00A0"; }
a.small-link { font-size: 12px; }
.sans { list-style: none; margin: 8px 0 0; padding: 0; max-width: 560px; }
.sans li { display: flex; justify-content: space-between; align-items: center; gap: 10px; padding: 5px 10px;
  border: 1px solid var(--border); border-radius: 4px; margin-bottom: 6px; background: #f8fafc; }
.checks { margin: 4px 0 0; }
.check { display: flex; align-items: center; gap: 8px; padding: 6px 0; border-bottom: 1px solid #edf0f4; }
.check label { font-weight: 600; min-width: 120px; }
.check.disabled label { color: #98a2b3; }
.check .hint { margin: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; border: 0; padding: 0; margin: -1px; }
.login { max-width: 400px; margin: 70px auto; }
.login .card { padding: 26px 28px 24px; }
.login h1 { text-align: center; }
.login input[type=text], .login input[type=password] { max-width: none; }
.login .buttons button { width: 100%; }
.login .foot { text-align: center; color: var(--muted); font-size: 12px; margin-top: 10px; }
@media (max-width: 760px) { .shell { flex-direction: column; } nav.menu { width: auto; border-right: 0;
  border-bottom: 1px solid var(--border); } main { padding: 18px; } .grid { grid-template-columns: 1fr; } }
"""

MENU = (
    ("Status", (("Basics", "/appliance/status/basics"),)),
    ("Networking", (("IP Configuration", "/appliance/networking/ip-configuration"),)),
    ("Security", (("Certificates", "/appliance/security/certificates"),)),
)


def esc(text) -> str:
    """``text`` as HTML text or attribute value."""
    return escape("" if text is None else str(text), quote=True)


def breakable(text) -> str:
    """``text`` as HTML that may wrap after each dot (host names in narrow columns); its text is unchanged."""
    return esc(text).replace(".", ".<wbr>")


def lines(values, wrap_at_dots: bool = False) -> str:
    """Several values in one cell, one per line."""
    return "<br>".join(breakable(value) if wrap_at_dots else esc(value) for value in values)


def cell(content_html: str, css: str = "") -> str:
    """A table cell; an empty one shows a greyed "None" through the style sheet only."""
    classes = " ".join(part for part in (css, "" if content_html else "none") if part)
    attribute = f' class="{classes}"' if classes else ""
    return f"<td{attribute}>{content_html}</td>"


def link(text: str, href: str, css: str = "") -> str:
    """A link."""
    attribute = f' class="{css}"' if css else ""
    return f'<a href="{esc(href)}"{attribute}>{esc(text)}</a>'


def button(caption: str, name: str | None = None, value: str | None = None, css: str = "") -> str:
    """A submit button; ``name``/``value`` are posted when it is the one pressed."""
    attributes = ' type="submit"'
    if name:
        attributes += f' name="{esc(name)}" value="{esc(value or "")}"'
    if css:
        attributes += f' class="{css}"'
    return f"<button{attributes}>{esc(caption)}</button>"


def text_field(
    ident: str,
    name: str,
    label: str,
    value: str = "",
    *,
    kind: str = "text",
    hint: str = "",
    required: bool = False,
    autocomplete: str = "",
    extra: str = "",
) -> str:
    """A labelled text (or password) field."""
    attributes = f' type="{kind}" id="{ident}" name="{esc(name)}"'
    if kind != "password":
        attributes += f' value="{esc(value)}"'
    if required:
        attributes += " required"
    if autocomplete:
        attributes += f' autocomplete="{autocomplete}"'
    hint_html = f'<span class="hint">{esc(hint)}</span>' if hint else ""
    return f'<div class="field"><label for="{ident}">{esc(label)}</label><input{attributes}>{hint_html}{extra}</div>'


def select_field(ident: str, name: str, label: str, options, selected: str = "", hint: str = "") -> str:
    """A labelled dropdown; ``options`` are ``(value, text)`` pairs."""
    items = "".join(
        f'<option value="{esc(value)}"{" selected" if value == selected else ""}>{esc(text)}</option>'
        for value, text in options
    )
    hint_html = f'<span class="hint">{esc(hint)}</span>' if hint else ""
    return (
        f'<div class="field"><label for="{ident}">{esc(label)}</label>'
        f'<select id="{ident}" name="{esc(name)}">{items}</select>{hint_html}</div>'
    )


def checkbox(
    ident: str, name: str, value: str, label: str, *, checked: bool = False, disabled: bool = False, hint: str = ""
) -> str:
    """A checkbox and its label on one line."""
    flags = (" checked" if checked else "") + (" disabled" if disabled else "")
    hint_html = f'<span class="hint">{esc(hint)}</span>' if hint else ""
    css = "check disabled" if disabled else "check"
    return (
        f'<div class="{css}"><input type="checkbox" id="{ident}" name="{esc(name)}" value="{esc(value)}"{flags}>'
        f'<label for="{ident}">{esc(label)}</label>{hint_html}</div>'
    )


def form(csrf: str, action: str, body: str, buttons: str = "", *, multipart: bool = False, css: str = "") -> str:
    """A POST form with the session's CSRF value, the place for extra fields, then its buttons."""
    enctype = ' enctype="multipart/form-data"' if multipart else ""
    css_attribute = f' class="{css}"' if css else ""
    return (
        f'<form method="post" action="{esc(action)}"{enctype}{css_attribute}>'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{esc(csrf)}">'
        f"{body}{EXTRA_FIELDS}{buttons}</form>"
    )


def get_button(caption: str, action: str) -> str:
    """A button that opens another page (a GET form, so no JavaScript is needed)."""
    return f'<form method="get" action="{esc(action)}" class="get-button">{button(caption)}</form>'


def table(headings, rows, empty_text: str = "", css: str = "") -> str:
    """A table: ``headings`` in its head, ``rows`` (lists of ready ``<td>`` cells) in its body."""
    head = "".join(f'<th scope="col">{esc(text)}</th>' if text else "<th></th>" for text in headings)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    css_attribute = f' class="{css}"' if css else ""
    empty = f'<p class="empty">{esc(empty_text)}</p>' if not rows and empty_text else ""
    return (
        f'<div class="table-wrap"><table{css_attribute}><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>{empty}"
    )


def details(rows) -> str:
    """A label / value table: ``rows`` are ``(label, ready cell)`` pairs."""
    body = "".join(f'<tr><th scope="row">{esc(label)}</th>{value}</tr>' for label, value in rows)
    return f'<table class="details"><tbody>{body}</tbody></table>'


def section(title: str, body: str) -> str:
    """A section under its heading."""
    return f"<section><h2>{esc(title)}</h2>{body}</section>"


def messages(alerts=(), notices=()) -> str:
    """Refusals (role alert) and success notices (role status)."""
    parts = [f'<div class="message alert" role="alert">{esc(text)}</div>' for text in alerts if text]
    parts += [f'<div class="message status" role="status">{esc(text)}</div>' for text in notices if text]
    return "".join(parts)


_CURRENT = ' aria-current="page"'


def menu(current_path: str) -> str:
    """The menu: each area, and its pages."""
    areas = []
    for area, pages in MENU:
        items = "".join(
            f'<li><a href="{path}"{_CURRENT if path == current_path else ""}>{esc(name)}</a></li>'
            for name, path in pages
        )
        areas.append(f'<li class="area"><a href="{pages[0][1]}">{esc(area)}</a><ul>{items}</ul></li>')
    return f'<nav class="menu" aria-label="Menu"><ul>{"".join(areas)}</ul></nav>'


def document(title: str, hostname: str, body: str) -> str:
    """A whole page: its title in the browser tab and its style inline."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} | {esc(hostname)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def console(
    title: str, hostname: str, role: str, current_path: str, content: str, alerts=(), notices=(), lead: str = ""
) -> str:
    """A page after login: the header bar with the hostname and "Log Out", the menu, the title, the messages."""
    role_text = "Traffic Node" if role == "traffic-node" else "Primary"
    top = (
        '<header class="topbar"><div class="brand"><span class="product">Appliance Administration</span>'
        f'<span class="host">{esc(hostname)}</span><span class="role">{esc(role_text)}</span></div>'
        f"{link('Log Out', '/appliance/logout', 'logout')}</header>"
    )
    lead_html = f'<p class="lead">{esc(lead)}</p>' if lead else ""
    main = f"<main><h1>{esc(title)}</h1>{lead_html}{messages(alerts, notices)}{content}</main>"
    return document(title, hostname, f'{top}<div class="shell">{menu(current_path)}{main}</div>')


def plain(title: str, hostname: str, content: str, alerts=(), notices=()) -> str:
    """A page before login (no menu): the header bar with the hostname, then one card."""
    top = (
        '<header class="topbar"><div class="brand"><span class="product">Appliance Administration</span>'
        f'<span class="host">{esc(hostname)}</span></div></header>'
    )
    main = f'<main class="login"><h1>{esc(title)}</h1>{messages(alerts, notices)}{content}</main>'
    return document(title, hostname, f"{top}{main}")

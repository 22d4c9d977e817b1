# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""report.html: the report as one self-contained page.

Everything is inline (CSS, the SVG timeline, a few lines of script that sort a
table by a column); nothing is fetched, no font is loaded, and the page reads
in full without script. Problems come first, then the timeline, then a table
per site (its endpoints, worst first, and its appliances), then every
certificate in detail. Narrow screens get the tables as stacked cards and the
timeline in a strip that scrolls sideways.
"""

from __future__ import annotations

from html import escape

from . import status as report_status
from .document import parse_iso
from .timeline import certificate_label, certificates_of, render_svg

STYLE = """
:root{--ink:#17212b;--muted:#5b6875;--line:#d9dee4;--panel:#f6f8fa;--bg:#ffffff;--link:#0b5cad;
--expired:#5b0e0e;--unreachable:#5b3b8c;--invalid:#c62828;--renewal_due:#e08a00;--warning:#c9a100;--ok:#2e7d32;}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.7rem;margin:0 0 4px;line-height:1.2}
h2{font-size:1.25rem;margin:36px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:22px 0 8px}
p{margin:6px 0}
a{color:var(--link)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.86em}
.meta{color:var(--muted);margin:0}
.meta span+span:before{content:" · "}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:18px 0 4px}
.card{flex:1 1 140px;min-width:0;border:1px solid var(--line);border-left:6px solid var(--c);border-radius:8px;
padding:10px 12px;background:#fff}
.card .n{display:block;font-size:1.8rem;font-weight:700;line-height:1.1}
.card .l{display:block;font-weight:600}
.card .d{display:block;color:var(--muted);font-size:.82rem;line-height:1.3}
.card.zero{opacity:.55}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:.78rem;font-weight:700;white-space:nowrap;
color:#fff;background:var(--c)}
.s-expired{--c:var(--expired)}.s-unreachable{--c:var(--unreachable)}.s-invalid{--c:var(--invalid)}
.s-renewal_due{--c:var(--renewal_due)}.s-warning{--c:var(--warning)}.s-ok{--c:var(--ok)}
.pill.s-warning,.pill.s-renewal_due{color:#231a00}
.table-wrap{width:100%;overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:.88rem}
th,td{text-align:left;vertical-align:top;padding:7px 6px;border-bottom:1px solid var(--line)}
th{background:var(--panel);font-weight:600;white-space:nowrap}
td{overflow-wrap:break-word}
.mono{word-break:break-all}
tbody tr:hover{background:#fafbfc}
tr.row-expired td:first-child,tr.row-invalid td:first-child,tr.row-unreachable td:first-child{
box-shadow:inset 4px 0 0 var(--c)}
td.num,th.num{text-align:right}
td.num strong{white-space:nowrap}
.sub{display:block;color:var(--muted);font-size:.82rem}
.good{color:var(--ok);font-weight:600}.bad{color:var(--invalid);font-weight:600}.na{color:var(--muted)}
.warn{color:#8a6d00;font-weight:600}
th button{all:unset;cursor:pointer;font-weight:600}
th button:after{content:" ↕";color:var(--muted);font-weight:400}
th[aria-sort=ascending] button:after{content:" ↑"}th[aria-sort=descending] button:after{content:" ↓"}
th button:focus-visible{outline:2px solid var(--link)}
.group{margin:14px 0 18px}
.group h3{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin:0 0 6px}
.group h3 .sub{display:inline;font-weight:400}
.group .todo{margin:0 0 8px;padding:8px 12px;border-left:4px solid var(--c);background:var(--panel);border-radius:4px}
.group details{border:0;margin:0;background:none}
.group summary{padding:8px 8px;color:var(--link);font-weight:600}
.problems td:first-child{width:30%}
.endpoints td:nth-child(2){min-width:8em}
.endpoints td:nth-child(4){min-width:12em}
.endpoints td:nth-child(7){max-width:15em}
.endpoints td:nth-child(9){max-width:9em}
.empty{padding:14px 16px;background:var(--panel);border-radius:8px;color:var(--muted)}
.chart{border:1px solid var(--line);border-radius:8px;padding:10px 8px 6px;background:#fff}
.chart-scroll{overflow-x:auto}
svg.timeline{display:block;width:100%;height:auto;min-width:760px;font-family:inherit}
svg .axis{stroke:#9aa5b1;stroke-width:1}svg .axis-faint{stroke:#e3e7eb}
svg .tick{stroke:#9aa5b1}svg .grid-year{stroke:#e3e7eb;stroke-width:1}
svg .tick-year{font-size:12px;font-weight:600;fill:var(--ink)}svg .tick-label{font-size:11px;fill:var(--muted)}
svg .panel-label{font-size:11.5px;fill:var(--muted)}svg .panel-scale{font-size:10px;fill:var(--muted)}
svg .step-line{fill:none;stroke:#1f4e8c;stroke-width:2.2}
svg .step-value{font-size:11px;font-weight:700;fill:#1f4e8c}
svg .step-date{stroke:#1f4e8c;stroke-width:1;stroke-dasharray:3 3;opacity:.45}
svg .band{fill:#f7f9fb}
svg .bar-label{font-size:12.5px;fill:var(--ink)}svg .bar-where{font-size:11px;fill:var(--muted)}
svg .bar-days{font-size:11.5px;font-weight:700}
svg .bar{fill:var(--c);opacity:.9}
svg .window{fill:url(#hatch)}
svg .hatch-bg{fill:rgba(255,255,255,.0)}svg .hatch-line{stroke:rgba(255,255,255,.85);stroke-width:2.2}
svg .notch{stroke:#111;stroke-width:2}
svg .more{fill:var(--muted)}
svg .today{stroke:#111;stroke-width:1.6}
svg .today-label{font-size:11.5px;font-weight:700;fill:#111}
.s-text-expired{fill:var(--expired)}.s-text-unreachable{fill:var(--unreachable)}.s-text-invalid{fill:var(--invalid)}
.s-text-renewal_due{fill:#a76400}.s-text-warning{fill:#8a6d00}.s-text-ok{fill:var(--ok)}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:10px 4px 2px;padding:0;list-style:none;font-size:.85rem;
color:var(--muted)}
.legend li{display:flex;align-items:center;gap:6px}
.legend svg{flex:none}
details{border:1px solid var(--line);border-radius:8px;margin:8px 0;background:#fff}
summary{cursor:pointer;padding:9px 12px;font-weight:600;list-style-position:inside}
summary .sub{display:inline;margin-left:6px;font-weight:400}
dl{display:grid;grid-template-columns:minmax(9em,max-content) 1fr;gap:4px 14px;margin:0;padding:4px 14px 12px}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
ol.chain{margin:0;padding-left:1.3em}
footer{margin-top:40px;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);padding-top:10px}
@media (max-width:760px){
main{padding:16px 12px 40px}
h1{font-size:1.4rem}
.card{flex:1 1 40%}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.stack tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:4px 0;background:#fff}
table.stack td{border:0;padding:4px 10px;display:grid;grid-template-columns:7.5em minmax(0,1fr);gap:8px;text-align:left;
width:auto!important;min-width:0!important}
table.stack td.num{text-align:left}
table.stack td:before{content:attr(data-label);color:var(--muted);font-weight:600;font-size:.82rem}
tr.row-expired td:first-child,tr.row-invalid td:first-child,tr.row-unreachable td:first-child{box-shadow:none}
table.stack tr.row-expired,table.stack tr.row-invalid,table.stack tr.row-unreachable{border-left:5px solid var(--c)}
dl{grid-template-columns:1fr}dt{margin-top:6px}
}
@media print{.chart-scroll{overflow:visible}th button:after{content:""}}
"""

SCRIPT = """
(function(){
  function value(row, index, numeric){
    var cell = row.cells[index];
    var text = cell.getAttribute('data-sort');
    if (text === null) { text = cell.textContent; }
    if (numeric) { var n = parseFloat(text); return isNaN(n) ? Infinity : n; }
    return text.toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, index){
      var button = th.querySelector('button');
      if (!button) { return; }
      button.addEventListener('click', function(){
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(other){ other.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var numeric = th.classList.contains('num') || th.hasAttribute('data-numeric');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = value(a, index, numeric), y = value(b, index, numeric);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach(function(row){ body.appendChild(row); });
      });
    });
  });
})();
"""

_STATUS_HELP = {
    report_status.EXPIRED: "past its end date",
    report_status.UNREACHABLE: "no TLS handshake",
    report_status.INVALID: "a client refuses it",
    report_status.RENEWAL_DUE: "inside the renewal window",
    report_status.WARNING: "works; something to fix",
    report_status.OK: "nothing to do",
}


def _e(value) -> str:
    return escape("" if value is None else str(value))


def _td(label: str, content: str, attributes: str = "") -> str:
    """A table cell whose content is one block: on narrow screens the cell is a row of two (label, content)."""
    return f'<td data-label="{_e(label)}"{attributes}><div class="v">{content}</div></td>'


def _pill(status: str) -> str:
    return f'<span class="pill s-{_e(status)}">{_e(report_status.STATUS_LABELS.get(status, status))}</span>'


def _date(text: str | None) -> str:
    if not text:
        return ""
    return parse_iso(text).strftime("%Y-%m-%d")


def _stamp(text: str) -> str:
    return parse_iso(text).strftime("%d %b %Y, %H:%M UTC")


def _where(item: dict) -> str:
    parts = [f"<strong>{_e(item.get('host'))}</strong>"]
    place = item.get("address") or ""
    if item.get("hostname") and item.get("hostname") != place:
        place = f"{place} as {item['hostname']}" if place else item["hostname"]
    if place:
        parts.append(f'<span class="sub">{_e(place)}{":" + _e(item.get("port")) if item.get("port") else ""}</span>')
    return "".join(parts)


def _cards(document: dict) -> str:
    counts = document.get("counts") or {}
    cards = []
    for status in report_status.STATUSES:
        count = counts.get(status, 0)
        cards.append(
            f'<div class="card s-{status}{" zero" if not count else ""}"><span class="n">{count}</span>'
            f'<span class="l">{_e(report_status.STATUS_LABELS[status])}</span>'
            f'<span class="d">{_e(_STATUS_HELP[status])}</span></div>'
        )
    return '<div class="cards" role="list" aria-label="Endpoints by status">' + "".join(cards) + "</div>"


def _problem_rows(items: list, with_action: bool) -> str:
    rows = []
    for item in items:
        status = item["status"]
        action = _td("What to do", _e(item["action"])) if with_action else ""
        rows.append(
            f'<tr class="row-{_e(status)} s-{_e(status)}" data-kind="{_e(item["kind"])}">'
            + _td("Where", _where(item))
            + _td("Problem", _e(item["message"]))
            + f"{action}</tr>"
        )
    head = "<th>Where</th><th>Problem</th>" + ("<th>What to do</th>" if with_action else "")
    return (
        f'<div class="table-wrap"><table class="problems stack"><thead><tr>{head}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _problems(document: dict, shown: int = 8) -> str:
    """The problems grouped by kind (worst kinds first): what is wrong where, and what to do."""
    problems = document.get("problems") or []
    out = [f'<section id="problems"><h2>Problems ({len(problems)})</h2>']
    if not problems:
        out.append(
            '<p class="empty">No problems: every endpoint answers, verifies for its name and is outside its '
            "renewal window.</p></section>"
        )
        return "".join(out)
    groups: dict = {}
    for item in problems:
        groups.setdefault(item["kind"], []).append(item)
    for kind, items in groups.items():
        status = items[0]["status"]
        label = report_status.PROBLEM_LABELS.get(kind, kind)
        actions = {item["action"] for item in items}
        same_action = len(actions) == 1
        places = len(items)
        out.append(
            f'<div class="group s-{_e(status)}" data-kind="{_e(kind)}"><h3>{_pill(status)} {_e(label)}'
            f'<span class="sub">{places} {"place" if places == 1 else "places"}</span></h3>'
        )
        if same_action:
            out.append(f'<p class="todo"><strong>What to do:</strong> {_e(items[0]["action"])}</p>')
        out.append(_problem_rows(items[:shown], not same_action))
        if len(items) > shown:
            out.append(
                f"<details><summary>{len(items) - shown} more</summary>"
                + _problem_rows(items[shown:], not same_action)
                + "</details>"
            )
        out.append("</div>")
    out.append("</section>")
    return "".join(out)


def _legend() -> str:
    def swatch(inner: str, width: int = 26) -> str:
        return f'<svg width="{width}" height="14" viewBox="0 0 {width} 14" aria-hidden="true">{inner}</svg>'

    items = []
    for status in report_status.STATUSES:
        if status == report_status.UNREACHABLE:
            continue
        items.append(
            f'<li class="s-{status}">'
            + swatch('<rect x="1" y="2" width="24" height="10" rx="2" style="fill:var(--c)"/>')
            + f"{_e(report_status.STATUS_LABELS[status])}</li>"
        )
    items.append(
        "<li>"
        + swatch(
            '<defs><pattern id="lh" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<line x1="0" y1="0" x2="0" y2="5" stroke="#fff" stroke-width="2.2"/></pattern></defs>'
            '<rect x="1" y="2" width="24" height="10" rx="2" fill="#5b6875"/>'
            '<rect x="1" y="2" width="24" height="10" rx="2" fill="url(#lh)"/>'
        )
        + "Renewal window</li>"
    )
    items.append(
        "<li>" + swatch('<line x1="13" y1="0" x2="13" y2="14" stroke="#111" stroke-width="1.6"/>') + "Today</li>"
    )
    items.append(
        "<li>"
        + swatch('<polyline points="1,3 11,3 11,11 25,11" fill="none" stroke="#1f4e8c" stroke-width="2.2"/>', 26)
        + "SC-081 maximum lifetime (398 d, 200 d from 2026-03-15, 100 d from 2027-03-15, 47 d from 2029-03-15)</li>"
    )
    items.append(
        "<li>"
        + swatch(
            '<rect x="1" y="2" width="24" height="10" rx="2" fill="#c3cad2"/>'
            '<line x1="10" y1="0" x2="10" y2="14" stroke="#111" stroke-width="2"/>'
        )
        + "Where a publicly trusted certificate issued the same day would end</li>"
    )
    return '<ul class="legend" aria-label="Legend">' + "".join(items) + "</ul>"


def _timeline(document: dict) -> str:
    svg = render_svg(document)
    lifetime = document.get("public_maximum_lifetime") or {}
    intro = (
        f"<p>Each bar is one certificate, from its start to its end, in the colour of its worst status. "
        f"A publicly trusted certificate issued today may live at most {lifetime.get('in_force_days')} days "
        "(CA/Browser Forum ballot SC-081); the line above the bars shows how that maximum falls.</p>"
    )
    if not svg:
        empty = '<p class="empty">No certificate was served.</p>'
        return f'<section id="timeline"><h2>Validity timeline</h2>{intro}{empty}</section>'
    return (
        f'<section id="timeline"><h2>Validity timeline</h2>{intro}<div class="chart"><div class="chart-scroll">{svg}'
        f"</div>{_legend()}</div></section>"
    )


def _chain_text(endpoint: dict) -> str:
    chain = endpoint.get("chain") or {}
    status = chain.get("status")
    if not status:
        return '<span class="na">—</span>'
    notes = []
    if status == "complete":
        text = '<span class="good">complete</span>'
    elif status == "self_signed":
        text = '<span class="warn">self-signed</span>'
    else:
        text = '<span class="bad">incomplete</span>'
        notes.append(f"missing {chain.get('missing_issuer')}")
    if not chain.get("in_order", True):
        text += ' <span class="bad">out of order</span>'
    if chain.get("root_included"):
        notes.append("root sent")
    notes.insert(0, f"{chain.get('length')} sent")
    return text + f'<span class="sub">{_e(", ".join(notes))}</span>'


def _verified_text(endpoint: dict) -> str:
    verification = endpoint.get("verification") or {}
    if not endpoint.get("certificate"):
        return '<span class="na">—</span>'
    if verification.get("verified"):
        text = '<span class="good">verified</span>'
    else:
        text = f'<span class="bad">refused</span><span class="sub">{_e(verification.get("reason"))}</span>'
    if endpoint.get("hostname_covered") is False and "cover" not in (verification.get("reason") or ""):
        text += f'<span class="sub bad">{_e(endpoint.get("hostname"))} not covered</span>'
    return text


def _bound_text(endpoint: dict) -> str:
    bound = endpoint.get("bound")
    if not bound:
        return '<span class="na">—</span>'
    name = _e(bound.get("friendly_name"))
    if bound.get("matches"):
        return f'<span class="good">as bound</span><span class="sub">{name}</span>'
    return f'<span class="bad">differs</span><span class="sub">bound: {name}</span>'


def _endpoint_row(host: dict, endpoint: dict) -> str:
    status = endpoint["status"]
    certificate = endpoint.get("certificate") or {}
    place = endpoint.get("address") or endpoint.get("connect") or ""
    days = report_status.whole_days(certificate.get("days_left"))
    if certificate:
        name = certificate_label(certificate)
        sans = ", ".join(entry.split(":", 1)[1] for entry in certificate.get("subject_alt_name") or [])
        sans = "" if sans == name else sans
        issuer = (certificate.get("issuer") or {}).get("common_name") or certificate.get("issuer_text")
        key = certificate.get("public_key") or {}
        key_text = (
            f"EC {key['curve']}" if key.get("curve") else f"{(key.get('type') or '').upper()} {key.get('size') or ''}"
        )
        cert_cell = (
            f"<strong>{_e(name)}</strong>"
            + (f'<span class="sub">{_e(sans)}</span>' if sans else "")
            + f'<span class="sub">issued by {_e(issuer)} · {_e(key_text.strip())}</span>'
        )
        fraction = certificate.get("fraction_left")
        left = f" · {round(fraction * 100)} % of its life" if fraction is not None else ""
        days_cell = (
            f'<strong>{days}</strong><span class="sub">until {_e(_date(certificate.get("not_after")))}{left}</span>'
        )
        tls = endpoint.get("tls") or {}
        tls_cell = f'{_e(tls.get("version"))}<span class="sub mono">{_e(tls.get("cipher"))}</span>'
    else:
        cert_cell = f'<span class="bad">no TLS</span><span class="sub">{_e(endpoint.get("error"))}</span>'
        days_cell = '<span class="na">—</span>'
        tls_cell = '<span class="na">—</span>'
    sort_days = "" if days is None else str(certificate.get("days_left"))
    sni = f"SNI {_e(endpoint['hostname'])}" if endpoint.get("hostname") else "no SNI"
    return (
        f'<tr class="row-{_e(status)} s-{_e(status)}" data-status="{_e(status)}">'
        + _td("Status", _pill(status), f' data-sort="{report_status.severity(status)}"')
        + _td("Appliance", _e(host["host"]))
        + _td("Endpoint", f'{_e(place)}:{_e(endpoint.get("port"))}<span class="sub">{sni}</span>')
        + _td("Certificate", cert_cell)
        + _td("Days left", days_cell, f' class="num" data-sort="{_e(sort_days)}"')
        + _td("Chain", _chain_text(endpoint))
        + _td("Verified", _verified_text(endpoint))
        + _td("Bound", _bound_text(endpoint))
        + _td("TLS", tls_cell)
        + "</tr>"
    )


def _plan_text(api: dict) -> str:
    plan = api.get("plan")
    if not plan:
        return '<span class="na">no certificate_* variables</span>'
    if plan.get("failed"):
        return f'<span class="bad">plan failed</span><span class="sub">{_e(plan.get("msg"))}</span>'
    action = plan.get("action")
    if action == "none" and not plan.get("rebind"):
        return '<span class="good">nothing to do</span>'
    what = action if action != "none" else "bind again"
    reasons = " ".join(plan.get("reasons") or []) if action != "none" else plan.get("rebind")
    return f'<span class="warn">{_e(what)}</span><span class="sub">{_e(reasons)}</span>'


def _appliance_rows(hosts: list) -> str:
    rows = []
    for host in hosts:
        api = host.get("api")
        if not api:
            continue
        if api.get("error"):
            rows.append(
                '<tr class="row-warning s-warning">'
                + _td("Appliance", _e(host["host"]))
                + _td(
                    "API",
                    f'<span class="bad">not readable</span><span class="sub">{_e(api["error"])}</span>',
                    ' colspan="5"',
                )
                + "</tr>"
            )
            continue
        appliance = api.get("appliance") or {}
        bound = sorted({b.get("friendly_name") or "" for b in api.get("bindings") or []})
        served = [endpoint for endpoint in host.get("endpoints") or [] if endpoint.get("certificate")]
        rebuild = [endpoint for endpoint in served if endpoint.get("software_update_required")]
        if rebuild:
            rebuild_cell = (
                '<span class="bad">needed</span><span class="sub">the software does not trust the root</span>'
            )
        elif served and all(endpoint.get("software_update_required") is False for endpoint in served):
            rebuild_cell = '<span class="good">no</span>'
        else:
            rebuild_cell = '<span class="na">not known</span>'
        renewal = sorted(
            (endpoint.get("renewal") or {}).get("renew_at") or "" for endpoint in served if endpoint.get("renewal")
        )
        renewal_cell = _e(_date(renewal[0])) if renewal and renewal[0] else '<span class="na">—</span>'
        rows.append(
            "<tr>"
            + _td("Appliance", f'{_e(host["host"])}<span class="sub">{_e(appliance.get("role"))}</span>')
            + _td("Software", _e(appliance.get("software_version")))
            + _td("Bound", _e(", ".join(bound) or "—"))
            + _td("Certificate role", _plan_text(api))
            + _td("Renew from", renewal_cell)
            + _td("Software rebuild", rebuild_cell)
            + "</tr>"
        )
    if not rows:
        return ""
    return (
        '<h3>Appliances</h3><div class="table-wrap"><table class="appliances stack"><thead><tr><th>Appliance</th>'
        "<th>Software</th><th>Bound</th><th>Certificate role</th><th>Renew from</th><th>Software rebuild</th></tr>"
        "</thead><tbody>" + "".join(rows) + "</tbody></table></div>"
    )


def _counts_line(counts: dict) -> str:
    shown = [
        f"{count} {report_status.STATUS_LABELS[status].lower()}"
        for status, count in (counts or {}).items()
        if count and status in report_status.STATUS_LABELS
    ]
    return ", ".join(shown) or "no endpoints"


def _sites(document: dict) -> str:
    hosts = {host["host"]: host for host in document.get("hosts") or []}
    out = []
    for index, site in enumerate(document.get("sites") or []):
        members = [hosts[name] for name in site["hosts"]]
        title = f"Site {site['name']}" if site.get("name") else "Hosts without a site"
        endpoints = sorted(
            ((host, endpoint) for host in members for endpoint in host.get("endpoints") or []),
            key=lambda pair: (
                report_status.severity(pair[1]["status"]),
                (pair[1].get("certificate") or {}).get("days_left", float("inf")),
                pair[0]["host"],
            ),
        )
        out.append(
            f'<section class="site" id="site-{index + 1}"><h2>{_e(title)}</h2>'
            f'<p class="meta"><span>{len(members)} host{"s" if len(members) != 1 else ""}</span>'
            f"<span>{len(endpoints)} endpoint{'s' if len(endpoints) != 1 else ''}</span>"
            f"<span>{_e(_counts_line(site.get('counts')))}</span></p>"
            '<div class="table-wrap"><table class="endpoints sortable stack"><thead><tr>'
            '<th><button type="button">Status</button></th><th><button type="button">Appliance</button></th>'
            "<th>Endpoint</th><th>Certificate</th>"
            '<th class="num"><button type="button">Days left</button></th>'
            "<th>Chain</th><th>Verified</th><th>Bound</th><th>TLS</th></tr></thead><tbody>"
            + "".join(_endpoint_row(host, endpoint) for host, endpoint in endpoints)
            + "</tbody></table></div>"
            + _appliance_rows(members)
            + "</section>"
        )
    return "".join(out)


def _details(document: dict) -> str:
    rows = certificates_of(document)
    if not rows:
        return ""
    out = ['<section id="certificates"><h2>Certificates</h2>']
    served_by = {}
    for host in document.get("hosts") or []:
        for endpoint in host.get("endpoints") or []:
            certificate = endpoint.get("certificate")
            if certificate:
                served_by.setdefault(certificate["sha256_fingerprint"], endpoint)
    for row in rows:
        certificate = row["certificate"]
        endpoint = served_by[certificate["sha256_fingerprint"]]
        key = certificate.get("public_key") or {}
        key_text = f"{(key.get('type') or '').upper()} {key.get('size') or ''}".strip()
        if key.get("curve"):
            key_text = f"EC {key['curve']}"
        chain = endpoint.get("chain") or {}
        chain_items = "".join(
            f'<li>{_e(entry["subject"])} <span class="sub">{_e(entry["role"])}, until {_e(_date(entry["not_after"]))}'
            f"</span></li>"
            for entry in chain.get("served") or []
        )
        lifetime = f"{round(certificate.get('lifetime_days') or 0)} days"
        if certificate.get("over_public_maximum"):
            lifetime += f" (longer than the {certificate.get('public_maximum_days')} days a public CA could issue then)"
        fields = [
            ("Subject", _e(certificate.get("subject_text"))),
            ("Alternative names", _e(", ".join(certificate.get("subject_alt_name") or []) or "none")),
            ("Issuer", _e(certificate.get("issuer_text"))),
            ("Serial", f'<span class="mono">{_e(certificate.get("serial_number"))}</span>'),
            ("Valid", f"{_e(certificate.get('not_before'))} to {_e(certificate.get('not_after'))}"),
            ("Lifetime", _e(lifetime)),
            ("Key", _e(key_text)),
            ("Signature", _e(certificate.get("signature_algorithm"))),
            ("SHA-256", f'<span class="mono">{_e(certificate.get("sha256_fingerprint"))}</span>'),
            ("OCSP", _e(", ".join(certificate.get("ocsp_urls") or []) or "none")),
            ("CA issuers", _e(", ".join(certificate.get("ca_issuers_urls") or []) or "none")),
            ("Chain as served", f'<ol class="chain">{chain_items}</ol>'),
            ("Served by", _e(", ".join(row["hosts"]))),
        ]
        out.append(
            f"<details><summary>{_pill(row['status'])} {_e(certificate_label(certificate))}"
            f'<span class="sub">until {_e(_date(certificate.get("not_after")))} · {_e(", ".join(row["hosts"][:3]))}'
            f"{' …' if len(row['hosts']) > 3 else ''}</span></summary><dl>"
            + "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in fields)
            + "</dl></details>"
        )
    out.append("</section>")
    return "".join(out)


def render_html(document: dict) -> str:
    """The whole page."""
    totals = document.get("totals") or {}
    bundle = document.get("ca_bundle") or {}
    bundle_text = (
        f"CA bundle: {'system' if bundle.get('source') == 'system' else 'given'} "
        f"({bundle.get('certificates')} certificates, {bundle.get('path')})"
    )
    title = document.get("title") or "Certificate report"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="report-digest" content="{_e(document.get("digest"))}">'
        f'<meta name="report-as-of" content="{_e(document.get("as_of"))}">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body><main>"
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="meta"><span>As of {_e(_stamp(document["as_of"]))}</span>'
        f"<span>{totals.get('hosts', 0)} hosts</span><span>{totals.get('endpoints', 0)} endpoints</span>"
        f"<span>{_e(bundle_text)}</span></p></header>"
        + _cards(document)
        + _problems(document)
        + _timeline(document)
        + _sites(document)
        + _details(document)
        + "<footer><p>Written by bomgar.pki (served_certificate_info and certificate_report). The same data: "
        '<a href="report.json">report.json</a> (schema: docs/report.schema.json), '
        '<a href="report.prom">report.prom</a>, <a href="report.md">report.md</a>. '
        f'Digest <span class="mono">{_e((document.get("digest") or "")[:16])}</span>.</p></footer>'
        f"</main><script>{SCRIPT}</script></body></html>\n"
    )

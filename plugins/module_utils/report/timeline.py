# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validity timeline of the report: an inline SVG, one bar per certificate served.

Above the bars, a step line of the longest lifetime a publicly trusted
certificate may have when issued on each date (``pki.lifetime``: 398 days, then
200 from 15 March 2026, 100 from 15 March 2027, 47 from 15 March 2029). Each
bar runs from the certificate's start to its end in the colour of its status;
its renewal window is hatched; a notch marks where a publicly trusted
certificate issued on the same day would have ended. A line marks the time of
the report. The SVG is styled by the page's stylesheet (classes ``s-<status>``).
"""

from __future__ import annotations

import datetime
from html import escape

from ..pki.lifetime import MAXIMUM_LIFETIME_STEPS
from . import status as report_status
from .document import parse_iso

WIDTH = 1000
LABEL_RIGHT = 250
PLOT_LEFT = 262
PLOT_RIGHT = 982
STEP_TOP = 22
STEP_BOTTOM = 86
AXIS_Y = 104
BARS_TOP = 126
ROW = 32
BAR = 12
MAX_DAYS_SHOWN = 420
DAY = datetime.timedelta(days=1)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def certificates_of(document: dict) -> list:
    """One row per certificate served: its facts, the worst status it has anywhere, where it is served."""
    rows: dict = {}
    for host in document.get("hosts") or []:
        for endpoint in host.get("endpoints") or []:
            certificate = endpoint.get("certificate")
            if not certificate:
                continue
            fingerprint = certificate["sha256_fingerprint"]
            row = rows.setdefault(
                fingerprint,
                {"certificate": certificate, "status": report_status.OK, "hosts": [], "renew_at": None},
            )
            row["status"] = report_status.worst([row["status"], endpoint["status"]])
            if host["host"] not in row["hosts"]:
                row["hosts"].append(host["host"])
            renew_at = (endpoint.get("renewal") or {}).get("renew_at")
            if renew_at and (row["renew_at"] is None or renew_at < row["renew_at"]):
                row["renew_at"] = renew_at
    return sorted(
        rows.values(),
        key=lambda row: (report_status.severity(row["status"]), row["certificate"]["not_after"], row["hosts"][0]),
    )


def certificate_label(certificate: dict) -> str:
    """The name a person knows a certificate by: its first DNS name, else its common name, else its subject."""
    for entry in certificate.get("subject_alt_name") or []:
        if entry.startswith("DNS:"):
            return entry[4:]
    return (certificate.get("subject") or {}).get("common_name") or certificate.get("subject_text") or "(no name)"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Scale:
    """Dates to x positions over the plot's range."""

    def __init__(self, start: datetime.datetime, end: datetime.datetime):
        self.start, self.end = start, end
        self.span = max((end - start).total_seconds(), 1.0)

    def x(self, moment: datetime.datetime) -> float:
        fraction = (moment - self.start).total_seconds() / self.span
        return round(PLOT_LEFT + fraction * (PLOT_RIGHT - PLOT_LEFT), 1)

    def clamp(self, moment: datetime.datetime) -> datetime.datetime:
        return min(max(moment, self.start), self.end)


def _range(rows: list, now: datetime.datetime) -> tuple:
    """From before the oldest start to after the latest end, always showing today and every lifetime step to come;
    at most three years back and four ahead."""
    starts = [parse_iso(row["certificate"]["not_before"]) for row in rows] or [now]
    ends = [parse_iso(row["certificate"]["not_after"]) for row in rows] or [now]
    start = max(min([*starts, now - 30 * DAY]), now - 3 * 365 * DAY)
    last_step = MAXIMUM_LIFETIME_STEPS[-1][0]
    end = max([*ends, now + 60 * DAY, last_step + 45 * DAY if now < last_step else now])
    end = min(end, now + 4 * 365 * DAY)
    pad = (end - start) * 0.015
    return start - pad, end + pad


def _months(start: datetime.datetime, end: datetime.datetime):
    moment = datetime.datetime(start.year, start.month, 1, tzinfo=datetime.timezone.utc)
    while moment <= end:
        if moment >= start:
            yield moment
        moment = datetime.datetime(
            moment.year + (moment.month == 12), moment.month % 12 + 1, 1, tzinfo=datetime.timezone.utc
        )


def _axis(scale: _Scale, bottom: float) -> list:
    days = scale.span / 86400
    quarter_labels = days < 3 * 365
    parts = [f'<line class="axis" x1="{PLOT_LEFT}" y1="{AXIS_Y}" x2="{PLOT_RIGHT}" y2="{AXIS_Y}"/>']
    for month in _months(scale.start, scale.end):
        x = scale.x(month)
        if month.month == 1:
            parts.append(f'<line class="grid-year" x1="{x}" y1="{STEP_TOP}" x2="{x}" y2="{bottom}"/>')
            parts.append(f'<text class="tick-year" x="{x + 3}" y="{AXIS_Y + 14}">{month.year}</text>')
        elif month.month in (4, 7, 10):
            parts.append(f'<line class="tick" x1="{x}" y1="{AXIS_Y}" x2="{x}" y2="{AXIS_Y + 5}"/>')
            if quarter_labels:
                parts.append(
                    f'<text class="tick-label" x="{x + 2}" y="{AXIS_Y + 14}">{_MONTHS[month.month - 1]}</text>'
                )
    return parts


def _steps(scale: _Scale, bottom: float) -> list:
    """The step line of the public maximum lifetime, with its value at each step and the dates of the steps."""

    def y(days: int) -> float:
        return round(STEP_BOTTOM - (STEP_BOTTOM - STEP_TOP) * days / MAX_DAYS_SHOWN, 1)

    parts = [
        f'<line class="axis-faint" x1="{PLOT_LEFT}" y1="{STEP_BOTTOM}" x2="{PLOT_RIGHT}" y2="{STEP_BOTTOM}"/>',
        f'<text class="panel-label" x="12" y="{STEP_TOP + 12}">Longest lifetime a public CA</text>',
        f'<text class="panel-label" x="12" y="{STEP_TOP + 26}">may issue on each date (SC-081)</text>',
        f'<text class="panel-scale" x="{PLOT_LEFT - 4}" y="{y(400) + 4}" text-anchor="end">400 d</text>',
        f'<text class="panel-scale" x="{PLOT_LEFT - 4}" y="{STEP_BOTTOM}" text-anchor="end">0</text>',
    ]
    points = []
    previous_days = None
    for position, (start, days) in enumerate(MAXIMUM_LIFETIME_STEPS):
        until = MAXIMUM_LIFETIME_STEPS[position + 1][0] if position + 1 < len(MAXIMUM_LIFETIME_STEPS) else scale.end
        if until <= scale.start or start >= scale.end:
            continue
        left, right = scale.x(scale.clamp(start)), scale.x(scale.clamp(until))
        if previous_days is not None:
            points.append(f"{left},{y(previous_days)}")
        points.append(f"{left},{y(days)}")
        points.append(f"{right},{y(days)}")
        previous_days = days
        if start > scale.start:
            parts.append(f'<line class="step-date" x1="{left}" y1="{STEP_TOP}" x2="{left}" y2="{bottom}"/>')
        label_x = max(left, PLOT_LEFT) + 4
        if right - left > 34:
            parts.append(f'<text class="step-value" x="{label_x}" y="{y(days) - 4}">{days} d</text>')
    if points:
        parts.append(f'<polyline class="step-line" points="{" ".join(points)}"/>')
    return parts


def _bar(row: dict, index: int, scale: _Scale, now: datetime.datetime) -> list:
    certificate = row["certificate"]
    top = BARS_TOP + index * ROW
    bar_y = top + (ROW - BAR) / 2
    start, end = parse_iso(certificate["not_before"]), parse_iso(certificate["not_after"])
    label = certificate_label(certificate)
    if len(row["hosts"]) > 1:
        where = f"{len(row['hosts'])} hosts: {', '.join(row['hosts'])}"
    elif row["hosts"][0] != label:
        where = row["hosts"][0]
    else:
        where = "issued by " + (
            (certificate.get("issuer") or {}).get("common_name") or certificate.get("issuer_text") or ""
        )
    days = report_status.whole_days(certificate.get("days_left"))
    days_text = "expired" if certificate.get("expired") else f"{days} d"
    status = row["status"]
    title = (
        f"{label} ({', '.join(row['hosts'])}): {report_status.STATUS_LABELS.get(status, status)}, "
        f"valid {certificate['not_before'][:10]} to {certificate['not_after'][:10]}, {days_text} left"
    )
    parts = [f'<g class="row"><title>{escape(title)}</title>']
    if index % 2:
        parts.append(f'<rect class="band" x="0" y="{top}" width="{WIDTH}" height="{ROW}"/>')
    parts.append(f'<text class="bar-label" x="12" y="{top + 14}">{escape(_shorten(label, 27))}</text>')
    parts.append(f'<text class="bar-where" x="12" y="{top + 27}">{escape(_shorten(where, 34))}</text>')
    parts.append(
        f'<text class="bar-days s-text-{status}" x="{LABEL_RIGHT}" y="{top + 20}" text-anchor="end">{days_text}</text>'
    )
    left, right = scale.x(scale.clamp(start)), scale.x(scale.clamp(end))
    width = max(right - left, 2)
    parts.append(f'<rect class="bar s-{status}" x="{left}" y="{bar_y}" width="{width}" height="{BAR}" rx="2"/>')
    if row.get("renew_at"):
        renew = scale.clamp(parse_iso(row["renew_at"]))
        renew_x = scale.x(renew)
        if right - renew_x > 0.5:
            parts.append(
                f'<rect class="window" x="{renew_x}" y="{bar_y}" width="{round(right - renew_x, 1)}" '
                f'height="{BAR}" rx="2"/>'
            )
    maximum = certificate.get("public_maximum_days")
    if maximum and certificate.get("over_public_maximum"):
        notch = start + maximum * DAY
        if scale.start <= notch <= scale.end:
            x = scale.x(notch)
            parts.append(f'<line class="notch" x1="{x}" y1="{bar_y - 3}" x2="{x}" y2="{bar_y + BAR + 3}"/>')
    if end > scale.end:
        parts.append(f'<path class="more" d="M{right + 2},{bar_y} l6,{BAR / 2} l-6,{BAR / 2} z"/>')
    parts.append("</g>")
    return parts


def render_svg(document: dict) -> str:
    """The timeline as an inline ``<svg>`` element (empty string when nothing served a certificate)."""
    rows = certificates_of(document)
    if not rows:
        return ""
    now = parse_iso(document["as_of"])
    scale = _Scale(*_range(rows, now))
    bottom = BARS_TOP + len(rows) * ROW + 6
    height = bottom + 8
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        'aria-labelledby="timeline-title timeline-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="timeline-title">Validity of each certificate served</title>',
        f'<desc id="timeline-desc">{len(rows)} certificates from {escape(scale.start.strftime("%Y-%m-%d"))} to '
        f"{escape(scale.end.strftime('%Y-%m-%d'))}; the line marks {escape(document['as_of'][:10])}.</desc>",
        '<defs><pattern id="hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="5" height="5" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="5" class="hatch-line"/>'
        "</pattern></defs>",
    ]
    parts += _steps(scale, bottom)
    parts += _axis(scale, bottom)
    for index, row in enumerate(rows):
        parts += _bar(row, index, scale, now)
    today = scale.x(now)
    anchor = "end" if today > PLOT_RIGHT - 120 else "start"
    offset = -4 if anchor == "end" else 4
    parts.append(f'<line class="today" x1="{today}" y1="{STEP_TOP - 12}" x2="{today}" y2="{bottom}"/>')
    parts.append(
        f'<text class="today-label" x="{today + offset}" y="{STEP_TOP - 4}" text-anchor="{anchor}">'
        f"today, {escape(now.strftime('%d %b %Y'))}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)

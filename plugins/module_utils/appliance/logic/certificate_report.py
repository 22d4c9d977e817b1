# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certificate_report: write the certificate report of a fleet (HTML, JSON, Prometheus, Markdown) on the controller.

Takes what ``served_certificate_info`` returned and renders it in Python
(``module_utils/report``). The files are rewritten only when what they show a
reader changes (the document's ``digest``, which leaves out what only moves with
the clock); otherwise they stay as they are and the task reports no change. In
check mode nothing is written and the result says what would be.
"""

from __future__ import annotations

import json
import os

from ...report import document as report_document
from ...report import html as report_html
from ...report import text as report_text
from ..runner import ModuleSpec
from .support_bundle import write_atomically

FORMATS = {"html": "report.html", "json": "report.json", "prom": "report.prom", "md": "report.md"}
FILE_MODE = 0o644
DIRECTORY_MODE = 0o755

ARGUMENT_SPEC = {
    "info": {"type": "dict", "required": True},
    "dest": {"type": "path", "default": "certificate-report"},
    "title": {"type": "str", "default": "Certificate report"},
    "formats": {
        "type": "list",
        "elements": "str",
        "choices": list(FORMATS),
        "default": list(FORMATS),
    },
}


def check_info(ctx, info: dict) -> None:
    """Refuse what is not a result of served_certificate_info, naming what is missing."""
    missing = [key for key in ("as_of", "hosts") if key not in info]
    if missing:
        ctx.fail(
            f"info has no {' and no '.join(missing)}; give the registered result of bomgar.pki.served_certificate_info."
        )
    try:
        report_document.parse_iso(str(info["as_of"]))
    except ValueError:
        ctx.fail(f"info.as_of '{info['as_of']}' is not a time like 2026-11-29T09:50:13Z.")


def check_dest(ctx, dest: str) -> str:
    """The absolute report directory (relative to the current directory); refused when it is a file."""
    path = os.path.abspath(dest)
    if os.path.exists(path) and not os.path.isdir(path):
        ctx.fail(f"dest '{dest}' ({path}) is a file; give the directory the report is written to.")
    parent = path
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        ctx.fail(f"The report directory {path} cannot be written ({parent} is not writable); choose another dest.")
    return path


def render(document: dict, formats: list) -> dict:
    """``{format: text}`` of the chosen formats."""
    renderers = {
        "html": report_html.render_html,
        "json": report_document.to_json,
        "prom": report_text.render_prometheus,
        "md": report_text.render_markdown,
    }
    return {name: renderers[name](document) for name in formats}


def existing_document(directory: str) -> dict:
    """The document report.json at ``directory`` holds, or {} when there is none to read."""
    try:
        with open(os.path.join(directory, FORMATS["json"]), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read(path: str) -> str | None:
    try:
        if os.stat(path).st_mode & 0o777 != FILE_MODE:
            return None
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def files_up_to_date(paths: dict, digest: str, before: dict) -> bool:
    """True when every file is there, with the report's mode, and is what this collection renders for the same data.

    The same data: the document in report.json has the digest of the new one. Rendering that document again
    must give the files byte for byte, so that a report written by another version of the renderer is written
    again. Without report.json among the formats, each file must carry the digest.
    """
    current = {name: _read(path) for name, path in paths.items()}
    if any(text is None for text in current.values()):
        return False
    if "json" not in paths:
        return all(digest in text for text in current.values())
    if before.get("digest") != digest:
        return False
    try:
        again = render(before, list(paths))
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # a document of another version of the report
    return all(again[name] == current[name] for name in paths)


def run(ctx) -> dict:
    """Render the report and write the files whose content would change; in check mode, only say so."""
    params = ctx.params
    info = params["info"]
    check_info(ctx, info)
    directory = check_dest(ctx, params["dest"])
    formats = list(dict.fromkeys(params["formats"]))
    document = report_document.build_document(info, params["title"])
    digest = document["digest"]
    paths = {name: os.path.join(directory, FORMATS[name]) for name in formats}
    before = existing_document(directory)
    # A file that is missing, or differs from what the same data gives: all are written again, so that they agree.
    changed = not files_up_to_date(paths, digest, before)
    written = []
    if changed and not ctx.check_mode:
        os.makedirs(directory, mode=DIRECTORY_MODE, exist_ok=True)
        texts = render(document, formats)
        for name in formats:
            write_atomically(paths[name], texts[name].encode("utf-8"), mode=FILE_MODE)
            written.append(paths[name])
    # Files left as they are keep the time they were written at.
    as_of = document["as_of"] if changed or before.get("digest") != digest else before.get("as_of")
    after = {
        "as_of": as_of,
        "digest": digest,
        "counts": document["counts"],
        "totals": document["totals"],
        "files": sorted(FORMATS[name] for name in formats),
    }
    before_state = {key: before.get(key) for key in ("as_of", "digest", "counts", "totals")} if before else {}
    if before:
        before_state["files"] = sorted(
            FORMATS[name] for name in FORMATS if os.path.exists(os.path.join(directory, FORMATS[name]))
        )
    if changed and ctx.check_mode:
        msg = f"would write the report to {directory}"
    elif changed:
        msg = f"wrote the report to {directory}"
    else:
        msg = f"the report in {directory} is up to date (as of {as_of})"
    return {
        "changed": changed,
        "msg": msg,
        "dest": directory,
        "files": paths,
        "written": written,
        "as_of": as_of,
        "digest": digest,
        "counts": document["counts"],
        "totals": document["totals"],
        "problems": len(document["problems"]),
        "summary": report_text.summary_lines(document, paths),
        "diff": {"before": before_state, "after": after},
    }


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, connection=False)

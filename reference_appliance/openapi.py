# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenAPI document of the Appliance Certificate API, generated from the server.

``python -m reference_appliance.openapi --output docs/appliance-api.json``
regenerates the committed copy; without ``--output`` it goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys

from .api import create_app


def build_document() -> dict:
    """The document the API serves; building it needs no appliance and no store."""
    return create_app(None, token=secrets.token_urlsafe(16)).openapi()


def render(document: dict) -> str:
    """The committed form: sorted keys, 2-space indent, a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to ``--output`` or stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m reference_appliance.openapi", description="Write the API's OpenAPI document."
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of to stdout")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

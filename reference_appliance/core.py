# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access to the collection's PKI core from the reference appliance.

The core lives in the collection as ``ansible_collections.bomgar.pki.plugins.
module_utils.pki``. In an installed collection (``…/ansible_collections/bomgar/
pki/reference_appliance``) the folder that holds ``ansible_collections`` is put
on the import path. In a checkout, the checkout is linked into
``build/ansible_collections/bomgar/pki`` (as ``make venv`` does) and that folder
is put on the import path.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _ensure_importable() -> None:
    try:
        import ansible_collections.bomgar.pki.plugins.module_utils.pki.errors  # noqa: F401
    except ImportError:
        root = Path(__file__).resolve().parents[1]
        if root.parent.parent.name == "ansible_collections" and (root.parent.name, root.name) == ("bomgar", "pki"):
            _import_from(root.parents[2])
            return
        build = root / "build"
        link = build / "ansible_collections" / "bomgar" / "pki"
        if not link.exists():
            link.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.path.relpath(root, link.parent), link)
        _import_from(build)


def _import_from(folder: Path) -> None:
    """Put ``folder`` (which holds ``ansible_collections``) first on the import path."""
    sys.path.insert(0, str(folder))
    for name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[name]


_ensure_importable()

from ansible_collections.bomgar.pki.plugins.module_utils.pki import (  # noqa: E402
    aia,
    builder,
    chain,
    chain_facts,
    chain_verify,
    describe,
    errors,
    fingerprints,
    formats,
    hostnames,
    keyguard,
    keys,
    name_rules,
    renewal,
    serving,
    subject_fields,
)

__all__ = [
    "aia",
    "builder",
    "chain",
    "chain_facts",
    "chain_verify",
    "describe",
    "errors",
    "fingerprints",
    "formats",
    "hostnames",
    "keyguard",
    "keys",
    "name_rules",
    "renewal",
    "serving",
    "subject_fields",
]

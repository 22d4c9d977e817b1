# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy one collection out of a wheel of the ``ansible`` package: ``extract_collection.py WHEEL NAMESPACE.NAME DEST``.

Only ``ansible_collections/<namespace>/<name>/`` of the wheel is written, below ``DEST/ansible_collections``, so that
DEST can go on ANSIBLE_COLLECTIONS_PATH holding that one collection. Prints its name and version.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path, PurePosixPath


def extract(wheel: Path, collection: str, dest: Path) -> str:
    """Write the collection's files below ``dest``; its version (from MANIFEST.json)."""
    namespace, name = collection.split(".", 1)
    prefix = f"ansible_collections/{namespace}/{name}/"
    written = 0
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.infolist():
            if not member.filename.startswith(prefix) or member.is_dir():
                continue
            relative = PurePosixPath(member.filename)
            if ".." in relative.parts or relative.is_absolute():
                raise SystemExit(f"{wheel}: refusing the path {member.filename}")
            target = dest.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(member))
            written += 1
    if not written:
        raise SystemExit(f"{wheel} holds no {prefix}")
    manifest = json.loads((dest / prefix / "MANIFEST.json").read_text(encoding="utf-8"))
    return manifest["collection_info"]["version"]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    version = extract(Path(argv[0]), argv[1], Path(argv[2]))
    print(f"{argv[1]} {version} in {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

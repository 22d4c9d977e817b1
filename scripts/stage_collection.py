# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy the collection's files into ``<dest>/ansible_collections/bomgar/pki``.

ansible-test resolves the working directory to its real path, so a symlinked
checkout does not satisfy its ``ansible_collections/<ns>/<name>`` layout. This
copies every file git tracks or would track (ignored files stay out), so the
staged tree holds exactly what a commit would hold.
"""

import shutil
import subprocess
import sys
from pathlib import Path


def main(dest_root: str) -> int:
    root = Path(__file__).resolve().parents[1]
    dest = Path(dest_root).resolve() / "ansible_collections" / "bomgar" / "pki"
    if dest.exists():
        shutil.rmtree(dest)
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    count = 0
    for name in sorted(set(filter(None, listing.split("\0")))):
        source = root / name
        if not source.is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        count += 1
    # A repository of its own, so that ansible-test lists the staged files and
    # not those of an enclosing checkout (where build/ is ignored).
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    print(f"staged {count} files in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/sanity"))

# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for get-pip.py, used by ansible-test when it creates its sanity venvs.

ansible-test downloads get-pip.py from the internet; this machine reaches only the
package registries. The stand-in bootstraps pip from the interpreter's own
ensurepip and then installs the requested pip release from the package index.
"""

import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade", "--force-reinstall", *args]))

"""The core (faces, store, library, command line) must run where Qt is absent."""

import subprocess
import sys


def test_core_imports_no_qt():
    code = (
        "import sys\n"
        "import faceorganizer.cli, faceorganizer.library, faceorganizer.faces, faceorganizer.store\n"
        "import faceorganizer.service, faceorganizer.people_ops, faceorganizer.clustering\n"
        "from faceorganizer.library import FaceLibrary\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'PyQt')))\n"
        "assert not qt, qt\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

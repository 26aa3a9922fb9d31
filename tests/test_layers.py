"""The layers the README states, checked by import-linter ([tool.importlinter]
in pyproject.toml): the command line and the window over the library service,
the service over the library, the library over people and the store; the core
imports no Qt and only the store imports a store engine."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_follow_the_layers():
    lint_imports = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    done = subprocess.run([sys.executable, "-c", lint_imports, "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

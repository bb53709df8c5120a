"""The room order of ARCHITECTURE.md is enforced by import-linter, and the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def copy_project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "ossbss", tmp_path / "src" / "ossbss")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_rooms_keep_their_order(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_lower_room_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    (tree / "src" / "ossbss" / "party" / "shortcut.py").write_text("import ossbss.account\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "ossbss.party.shortcut -> ossbss.account" in result.stdout


def test_the_kernel_may_not_import_the_tmf_layer(tmp_path: Path) -> None:
    tree = copy_project(tmp_path)
    (tree / "src" / "ossbss" / "kernel" / "shortcut.py").write_text("import ossbss.tmf\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout

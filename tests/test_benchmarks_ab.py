"""The old-versus-new benchmark tool runs: it exports a revision, imports it beside the working
tree and checks both give the same results before timing (not a timing test)."""

from __future__ import annotations

import importlib
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent


def _git_ok() -> bool:
    if shutil.which("git") is None:
        return False
    r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True)
    return r.returncode == 0


@pytest.mark.skipif(not _git_ok(), reason="needs a git checkout")
def test_ab_exports_a_revision_and_compares():
    from benchmarks import ab
    tmp = ab.export_old("HEAD", str(ROOT))
    sys.path.insert(0, tmp)
    try:
        old = importlib.import_module("funcad_old")
        import funcad as new
        assert old is not new and old.grad is not new.grad
        best = ab.compare(old, new, ["W7"], rounds=1)
        assert best["W7"]["old"] > 0 and best["W7"]["new"] > 0
    finally:
        sys.path.remove(tmp)
        for name in [m for m in sys.modules if m == "funcad_old" or m.startswith("funcad_old.")]:
            del sys.modules[name]
        shutil.rmtree(tmp, ignore_errors=True)

"""Smoke tests: every example runs end to end in quick mode (FUNCAD_EXAMPLE_QUICK=1),
prints progress and, when matplotlib is installed, writes its PNG. The full
mlp_digits run checks the >= 95% test accuracy it promises (needs scikit-learn)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# example -> optional packages it cannot run without
EXAMPLE_NEEDS = {
    "mlp_digits.py": ["sklearn"],
    "cnn.py": ["sklearn"],
    "rnn_lstm.py": [],
    "attention.py": [],
    "gan_2d.py": [],
    "svm_hinge.py": [],
    "optimizers_rosenbrock.py": [],
    "schedules_clipping.py": [],
    "linear_regression.py": [],
    "implicit_fixed_point.py": [],
    "stiff_robertson.py": ["scipy"],
}

# examples that print "max |difference| = ..." between a hand formula and funcad, and how often
COMPARISONS = {"mlp_digits.py": 1, "cnn.py": 2, "svm_hinge.py": 1, "stiff_robertson.py": 1}


def _has(module):
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def _run(script, outdir, quick=True, timeout=120, prelude=None):
    env = dict(os.environ, FUNCAD_EXAMPLE_OUTDIR=str(outdir), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("FUNCAD_EXAMPLE_QUICK", None)
    if quick:
        env["FUNCAD_EXAMPLE_QUICK"] = "1"
    if prelude is None:
        cmd = [sys.executable, str(EXAMPLES / script)]
    else:
        cmd = [sys.executable, "-c",
               f"{prelude}; import runpy, sys; sys.path.insert(0, {str(EXAMPLES)!r}); "
               f"sys.argv = [{script!r}]; runpy.run_path({str(EXAMPLES / script)!r}, "
               "run_name='__main__')"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=str(outdir))


def test_every_example_is_listed():
    """Every script in examples/ is run below, which checks that it saves its picture."""
    mine = set(EXAMPLE_NEEDS)
    on_disk = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert mine == on_disk, (f"listed but missing: {sorted(mine - on_disk)}; on disk but "
                             f"not listed: {sorted(on_disk - mine)}")


def test_every_example_the_readme_names_is_run():
    """The README promises that each example it names saves a plot."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Examples", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(\w+\.py)`", section))
    assert named and named <= set(EXAMPLE_NEEDS), sorted(named - set(EXAMPLE_NEEDS))


@pytest.mark.parametrize("script", list(EXAMPLE_NEEDS))
def test_example_runs_quick(script, tmp_path):
    for module in EXAMPLE_NEEDS[script]:
        pytest.importorskip(module)
    res = _run(script, tmp_path)
    assert res.returncode == 0, f"{script} failed:\n{res.stdout}\n{res.stderr}"
    assert res.stdout.strip(), f"{script} printed nothing"
    assert "Warning" not in res.stderr, res.stderr
    png = tmp_path / script.replace(".py", ".png")
    if _has("matplotlib"):
        assert png.is_file() and png.stat().st_size > 1000, f"{script} saved no figure"
    else:
        assert not png.exists()
    # the examples that compare a hand-derived formula with funcad print the difference
    diffs = re.findall(r"max \|difference\| = (\S+)", res.stdout)
    assert len(diffs) == COMPARISONS.get(script, 0), res.stdout
    assert all(float(d) < 1e-12 for d in diffs), res.stdout


def test_mlp_digits_full_run_reaches_95_percent(tmp_path):
    pytest.importorskip("sklearn")
    res = _run("mlp_digits.py", tmp_path, quick=False)
    assert res.returncode == 0, res.stderr
    acc = float(re.search(r"test accuracy: ([0-9.]+)", res.stdout).group(1))
    assert acc >= 0.95, res.stdout


@pytest.mark.parametrize("script", ["mlp_digits.py", "cnn.py"])
def test_digits_examples_explain_missing_sklearn(script, tmp_path):
    res = _run(script, tmp_path, prelude="import sys; sys.modules['sklearn'] = None")
    assert res.returncode == 2
    assert "scikit-learn" in res.stderr and "pip install" in res.stderr
    assert "Traceback" not in res.stderr

"""CI runs what the README says, and pyproject.toml's NumPy minimum is the one funcad checks."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _readme_test_command():
    m = re.search(r'^pip install (-e "\.\[[a-z,]*test[a-z,]*\]") && (python -m pytest.*)$',
                  (ROOT / "README.md").read_text(), re.M)
    assert m, "README.md has no 'pip install -e \".[test,...]\" && python -m pytest' command"
    return m.group(1), m.group(2)


def _leg(name):
    run = (ROOT / ".ci" / "run").read_text()
    m = re.search(rf"^leg_{re.escape(name)}\(\) \{{\n(.*?)^\}}", run, re.M | re.S)
    assert m, f".ci/run has no leg {name!r}"
    return m.group(1)


def test_ci_main_leg_runs_the_readme_test_command():
    install, test = _readme_test_command()
    main = _leg("main")
    assert f"pip install --quiet {install}\n" in main
    assert main.rstrip().endswith(test), f"the main leg must end with the README's {test!r}"


def test_readme_names_every_ci_leg():
    legs = re.findall(r"^leg_([\w-]+)\(\)", (ROOT / ".ci" / "run").read_text(), re.M)
    readme = (ROOT / "README.md").read_text()
    assert legs and [leg for leg in legs if f"`{leg}`" not in readme] == []


def test_oldest_leg_installs_pyproject_minimum():
    assert '"numpy==$np"' in _leg("oldest") and "np=$(minimum numpy)" in _leg("oldest")
    assert re.search(r'dependencies = \["numpy>=2\.2"\]', (ROOT / "pyproject.toml").read_text())


def test_import_with_numpy_older_than_the_minimum_says_what_to_install():
    code = "import numpy; numpy.__version__ = '2.1.3'; import funcad"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert res.returncode != 0
    assert "funcad needs NumPy >= 2.2 and this is NumPy 2.1.3" in res.stderr
    assert "pip install 'numpy>=2.2'" in res.stderr


def test_funcad_require_turns_importorskip_into_a_failing_import():
    code = ("import pytest, tests.conftest\n"
            "try:\n    pytest.importorskip('funcad_no_such_module')\n"
            "except BaseException as e:\n    print(type(e).__name__)\n")
    for require, want in (("", "Skipped"), ("jax,funcad_no_such_module", "ModuleNotFoundError")):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT, env={**os.environ, "FUNCAD_REQUIRE": require})
        assert res.stdout.strip() == want, (require, res.stdout, res.stderr)

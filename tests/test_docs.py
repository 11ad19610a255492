"""Every ```python block in README.md and docs/*.md runs.

The blocks of one file run in order in one namespace (a later block may use what an earlier
one defined). A block written as a doctest (``>>>`` prompts) runs as one, its printed
output checked. A block that must not run is marked, visibly, by an HTML comment on the line
right above it: ``<!-- no-run: reason -->``. A block that imports an optional package (scipy,
matplotlib, sklearn, jax ...) is skipped when that package is missing, as importorskip would.
"""

import contextlib
import doctest
import importlib.util
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", re.S | re.M)
_NO_RUN = re.compile(r"<!--\s*no-run:\s*(.+?)\s*-->\s*$")
_IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_][\w]*)", re.M)


def python_blocks(text):
    """``[(line, code, no_run_reason or None)]`` for each ```python block of ``text``."""
    out = []
    for m in _BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _NO_RUN.search(before)
        out.append((line, m.group(1), reason.group(1) if reason else None))
    return out


def _missing_modules(code):
    return sorted({name for name in _IMPORT.findall(code)
                   if importlib.util.find_spec(name) is None})


def test_the_block_finder_sees_markers():
    text = ("x\n```python\na = 1\n```\n<!-- no-run: needs a GPU -->\n```python\nb = 2\n```\n"
            "```pycon\n>>> 1\n```\n")
    assert python_blocks(text) == [(2, "a = 1\n", None), (6, "b = 2\n", "needs a GPU")]
    assert _missing_modules("import numpy as np\nfrom no_such_module_xyz import y\n") == [
        "no_such_module_xyz"]


WITH_BLOCKS = [p for p in FILES if python_blocks(p.read_text())]


def test_the_pages_that_must_run_have_blocks():
    names = {p.name for p in WITH_BLOCKS}
    assert {"README.md", "how-it-works.md", "nn.md", "optim.md"} <= names


@pytest.mark.filterwarnings("ignore::RuntimeWarning")    # sharp-bits.md shows NaNs on purpose
@pytest.mark.parametrize("path", WITH_BLOCKS, ids=[p.name for p in WITH_BLOCKS])
def test_python_blocks_run(path, tmp_path, monkeypatch):
    blocks = python_blocks(path.read_text())
    monkeypatch.chdir(tmp_path)               # blocks that save files write them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs_{path.stem}"}
    skipped = []
    for line, code, reason in blocks:
        if reason is not None:
            skipped.append(f"line {line}: {reason}")
            continue
        missing = _missing_modules(code)
        if missing:
            skipped.append(f"line {line}: needs {', '.join(missing)}")
            continue
        if code.lstrip().startswith(">>>"):
            _run_doctest(code, namespace, path, line)
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"{path.relative_to(ROOT)}: the python block at line {line} "
                                 f"failed: {type(e).__name__}: {e}") from e
    if skipped and len(skipped) == len(blocks):
        pytest.skip("; ".join(skipped))


def _run_doctest(code, namespace, path, line):
    test = doctest.DocTestParser().get_doctest(code, namespace, f"{path.name}:{line}",
                                               str(path), line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)              # (DocTest ran on a copy of the namespace)
    assert not runner.failures, (f"{path.relative_to(ROOT)}: the doctest block at line {line} "
                                 f"failed:\n{report.getvalue()}")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_no_run_excerpts_are_true(path):
    """A block marked ``no-run: an excerpt of FILE`` is still what FILE says."""
    for line, code, reason in python_blocks(path.read_text()):
        m = re.match(r"an excerpt of (\S+)", reason or "")
        if m:
            source = (ROOT / m.group(1)).read_text()
            for src_line in code.strip().splitlines():
                assert src_line in source, (f"{path.name}:{line}: {src_line!r} is no longer "
                                            f"in {m.group(1)}")


def test_scaling_page_lists_the_lazy_primitives():
    """docs/scaling.md's list of primitives that keep Dask/CuPy arrays as they are is the
    registry's (``extend.deflazy``)."""
    import funcad.numpy.fft  # noqa: F401  (every rule family registered)
    import funcad.numpy.linalg  # noqa: F401
    from funcad._rules import primitives
    text = (ROOT / "docs" / "scaling.md").read_text()
    listed = set(re.search(r"<!-- lazy-primitives: (.*?) -->", text).group(1).split())
    import funcad.scipy.special  # noqa: F401
    lazy = {n for n, p in primitives.items() if p.rules.lazy is True and not n.endswith("[saved]")}
    assert listed == lazy, (f"declared lazy, not on the page: {sorted(lazy - listed)}; "
                            f"on the page, not lazy: {sorted(listed - lazy)}")
    on_dask = set(re.search(r"<!-- lazy-on-dask: (.*?) -->", text).group(1).split())
    dask_only = {n for n, p in primitives.items() if type(p.rules.lazy) is frozenset}
    assert on_dask == dask_only, sorted(on_dask ^ dask_only)

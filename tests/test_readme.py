"""The README's quickstart runs and prints what the README says."""

import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_quickstart_runs_and_prints_the_tape():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README has no python block"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    printed = re.findall(r"prints\n\n```\n(.*?)```", text, re.S)[0]
    assert out.getvalue().strip() == printed.strip()

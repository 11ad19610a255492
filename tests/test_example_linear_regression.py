"""examples/linear_regression.py recovers the slope and intercept."""

import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_linear_regression_recovers_slope_and_intercept(capsys):
    spec = importlib.util.spec_from_file_location("linreg", ROOT / "examples" /
                                                  "linear_regression.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    w, b = mod.main(steps=300)
    assert abs(w - 2.0) < 0.05 and abs(b - 1.0) < 0.05
    assert "recovered slope" in capsys.readouterr().out

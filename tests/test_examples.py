"""Smoke tests: every example runs end to end in quick mode (FUNCAD_EXAMPLE_QUICK=1),
prints progress and, when matplotlib is installed, writes its PNG. Full runs check
what an example promises it learns: mlp_digits' >= 95% test accuracy (needs
scikit-learn), and the numbers the issue-15 examples print (ELBOs, hyperparameters and
mixture weights against the truth, accuracies)."""

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
    "implicit_fixed_point.py": ["scipy"],
    "pinn_poisson.py": [],
    "taylor_ode.py": [],
    "ode_net.py": ["scipy"],
    "bayesian_nn_svi.py": ["scipy"],
    "gaussian_process.py": ["scipy"],
    "convnet_signal.py": ["scipy"],
    "black_box_svi.py": ["scipy"],
    "gmm.py": ["scipy"],
    "vae.py": ["sklearn", "scipy"],
    "negative_binomial_maxlike.py": ["scipy"],
    "ica.py": ["scipy"],
    "hmm_em.py": ["scipy"],
    "tanh_derivatives.py": [],
    "bayesian_optimization.py": ["scipy"],
    "sparse_bratu.py": ["scipy"],
    "stiff_robertson.py": ["scipy"],
    "sparse_reaction_diffusion.py": ["scipy"],
    "sparse_rosenbrock_trust.py": ["scipy"],
    "dask_gradient.py": ["dask.array", "dask.distributed"],
}

# examples that print "max |difference| = ..." between a hand formula and funcad, and how often
COMPARISONS = {"mlp_digits.py": 2, "cnn.py": 2, "svm_hinge.py": 1, "hmm_em.py": 1,
               "stiff_robertson.py": 1}


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


def _full_run(script, tmp_path):
    """The stdout of a full (not quick) run of ``script``, which must succeed."""
    for module in EXAMPLE_NEEDS[script]:
        pytest.importorskip(module)
    res = _run(script, tmp_path, quick=False)
    assert res.returncode == 0, f"{script} failed:\n{res.stdout}\n{res.stderr}"
    assert "Warning" not in res.stderr, res.stderr
    return res.stdout


def _numbers(pattern, text):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in the output:\n{text}"
    return [float(v) for v in m.groups()]


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
    out = _full_run("mlp_digits.py", tmp_path)
    acc = float(re.search(r"test accuracy: ([0-9.]+)", out).group(1))
    assert acc >= 0.95, out
    # jit around the whole step (grad + adam with a schedule): recorded once for all steps
    assert re.search(r"speed-up [0-9.]+x", out), out
    assert "jit step: recorded 1 time(s)" in out, out


@pytest.mark.parametrize("script", ["mlp_digits.py", "cnn.py", "vae.py"])
def test_digits_examples_explain_missing_sklearn(script, tmp_path):
    res = _run(script, tmp_path, prelude="import sys; sys.modules['sklearn'] = None")
    assert res.returncode == 2
    assert "scikit-learn" in res.stderr and "pip install" in res.stderr
    assert "Traceback" not in res.stderr


def test_bayesian_nn_svi_full_run_fits_and_is_uncertain_in_the_gap(tmp_path):
    out = _full_run("bayesian_nn_svi.py", tmp_path)
    start, end = _numbers(r"ELBO \(200 draws\): start (\S+), end (\S+)", out)
    assert end > start + 1000, out
    (rmse,) = _numbers(r"on the data intervals: RMSE (\S+)", out)
    assert rmse < 0.15, out
    sd_data, sd_gap = _numbers(r"predictive sd: (\S+) on the data, (\S+) in the gap", out)
    assert sd_gap > 2 * sd_data, out


def test_gaussian_process_full_run_recovers_the_kernel(tmp_path):
    out = _full_run("gaussian_process.py", tmp_path)
    start, end = _numbers(r"log marginal likelihood: start (\S+), end (\S+)", out)
    assert end > start, out
    for name, rtol in [("output scale s", 0.2), ("length scale l", 0.1), ("noise sd sigma", 0.1)]:
        got, true = _numbers(rf"{name}\s+learned\s+(\S+)\s+true\s+(\S+)", out)
        assert abs(got - true) <= rtol * true, out
    (rmse,) = _numbers(r"noiseless draw on \[-4, 4\]: RMSE (\S+)", out)
    assert rmse < 0.2, out


def test_convnet_signal_full_run_learns_the_strokes(tmp_path):
    out = _full_run("convnet_signal.py", tmp_path)
    start, end = _numbers(r"test accuracy: start (\S+), end (\S+)", out)
    assert start < 0.4 and end >= 0.9, out


def test_black_box_svi_full_run_reaches_the_mean_field_optimum(tmp_path):
    out = _full_run("black_box_svi.py", tmp_path)
    start, end = _numbers(r"correlated Gaussian: ELBO start (\S+), end (\S+)", out)
    assert end > start + 2, out
    # the mean-field optimum for N(m, Sigma): mean m, sd 1/sqrt((Sigma^-1)_ii) = 0.6
    m0, m1 = _numbers(r"mean: learned \[\s*(\S+)\s+(\S+)\]", out)
    assert abs(m0 - 0.5) < 0.05 and abs(m1 + 0.3) < 0.05, out
    s0, s1 = _numbers(r"sd:   learned \[\s*(\S+)\s+(\S+)\]", out)
    assert abs(s0 - 0.6) < 0.05 and abs(s1 - 0.6) < 0.05, out


def test_gmm_full_run_recovers_the_mixture(tmp_path):
    out = _full_run("gmm.py", tmp_path)
    start, end = _numbers(r"per point: start (\S+), end (\S+)", out)
    assert end > start, out
    weights = [float(w) for w in re.findall(r"weight (\S+) \(true", out)]
    assert sorted(weights) == pytest.approx([0.2, 0.3, 0.5], abs=0.05), out
    (err,) = _numbers(r"largest error of a learned mean: (\S+)", out)
    assert err < 0.25, out


def test_vae_full_run_beats_independent_pixels(tmp_path):
    out = _full_run("vae.py", tmp_path)
    start, end = _numbers(r"test ELBO per image: start (\S+), end (\S+)", out)
    (baseline,) = _numbers(r"independent-pixel model .*: (\S+) nats", out)
    assert end > start + 20 and end > baseline + 2, out


def test_negative_binomial_newton_converges_to_the_truth(tmp_path):
    out = _full_run("negative_binomial_maxlike.py", tmp_path)
    n, p = _numbers(r"maximum likelihood: n = (\S+), p = (\S+)", out)
    assert abs(n - 4.0) < 0.6 and abs(p - 0.3) < 0.03, out
    gnorms = [float(g) for g in re.findall(r"\|gradient\| (\S+)", out)]
    assert gnorms[-1] < 1e-10 and len(gnorms) < 20, out


def test_ica_full_run_unmixes(tmp_path):
    out = _full_run("ica.py", tmp_path)
    start, end = _numbers(r"mean log-likelihood: start (\S+), end (\S+)", out)
    assert end > start, out
    corr = _numbers(r"its true source: (\S+), (\S+), (\S+)\n", out)
    assert min(corr) > 0.99, out


def test_hmm_em_full_run_recovers_the_chain(tmp_path):
    out = _full_run("hmm_em.py", tmp_path)
    assert "never decreased: True" in out, out
    (err,) = _numbers(r"largest error in A and B: (\S+)", out)
    assert err < 0.08, out


def test_tanh_derivatives_match_the_closed_form(tmp_path):
    out = _full_run("tanh_derivatives.py", tmp_path)
    (err,) = _numbers(r"largest relative error (\S+)", out)
    assert err < 1e-12, out


def test_bayesian_optimization_finds_the_global_minimum(tmp_path):
    out = _full_run("bayesian_optimization.py", tmp_path)
    best, true_min = _numbers(r"evaluations: f\(\S+\) = (\S+); .* = (\S+)\n", out)
    assert best - true_min < 0.05, out


def test_sparse_reaction_diffusion_full_run(tmp_path):
    """10^4 states, BDF with the funcad Jacobian and with SciPy's grouped finite differences:
    both solves succeed, agree, and the funcad Jacobian is faster than the differences."""
    out = _full_run("sparse_reaction_diffusion.py", tmp_path)
    (states, colours) = _numbers(r"(\d+) states: Jacobian pattern with \d+ entries, (\d+) colours",
                                 out)
    assert states == 10_000 and colours <= 6, out
    (diff,) = _numbers(r"differ by at most (\S+)\n", out)
    assert diff < 1e-6, out
    sparse, fd = _numbers(r"sparse funcad (\S+) ms .* sparsity\) (\S+) ms", out)
    assert sparse < fd, out


def test_sparse_rosenbrock_trust_full_run_converges(tmp_path):
    """n = 10^5: trust-constr with the 3-colour sparse Hessian reaches x = 1."""
    out = _full_run("sparse_rosenbrock_trust.py", tmp_path)
    (n, colours) = _numbers(r"n = (\d+): Hessian pattern with \d+ entries, (\d+) colours", out)
    assert n == 100_000 and colours == 3, out
    errs = [float(e) for e in re.findall(r"max \|x - 1\| = (\S+) \(", out)]
    assert len(errs) == 2 and max(errs) < 1e-6, out

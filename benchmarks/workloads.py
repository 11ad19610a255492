"""The benchmark workloads W1-W8, written once per library.

Each ``w*`` function takes a library name and returns a zero-argument callable
computing the derivative (or ``None`` when that library is not installed or
has no such transform). ``primal_*`` is the plain NumPy function the ratio is
taken against; ``ref_*`` is the reference each result is checked against.
NumPy, autograd and JAX share one function body written against an ``xp``
namespace; PyTorch gets a small shim with the same names.
"""

from __future__ import annotations

import importlib
import os

import numpy as np

import funcad as fad

LIBS = ["numpy", "autograd", "jax eager", "jax jit", "torch", "funcad", "funcad-jit"]


_ONLY = os.environ.get("FUNCAD_BENCH_ONLY")   # set in the W6 memory subprocesses


def _try(name):
    if _ONLY is not None and not _ONLY.startswith(name.split(".")[0]):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any import failure means "not installed"
        return None


ag = _try("autograd")
agnp = _try("autograd.numpy") if ag else None
jax = _try("jax")
if jax is not None:
    jax.config.update("jax_enable_x64", True)   # float64 everywhere, like NumPy and funcad
    import jax.numpy as jnp
torch = _try("torch")
if torch is not None:
    torch.set_num_threads(1)
    import torch.func as tfunc


class _TorchNS:
    """The few NumPy names the workloads use, on torch tensors."""

    sin, tanh, exp, log, log1p = (staticmethod(getattr(torch, n)) if torch else None
                                  for n in ("sin", "tanh", "exp", "log", "log1p"))

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum() if axis is None else x.sum(dim=axis, keepdim=keepdims)

    @staticmethod
    def max(x, axis=None, keepdims=False):
        return torch.amax(x, dim=axis, keepdim=keepdims)


tnp = _TorchNS()


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def _fad(lib, fn):
    """funcad's derivative, or under the "funcad-jit" column the same one through fad.jit."""
    if lib == "funcad-jit":
        from funcad._jit import jit
        return jit(fn)
    return fn


def _jax_pair(lib, fn):
    """(jax eager, jax jit) choice for a transformed function."""
    return jax.jit(fn) if lib == "jax jit" else fn


def to_numpy(x):
    """Results of any library as NumPy arrays (pytrees: tuples/lists of them)."""
    if isinstance(x, (tuple, list)):
        return [to_numpy(v) for v in x]
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def available(lib) -> bool:
    return {"autograd": ag is not None, "jax eager": jax is not None,
            "jax jit": jax is not None, "torch": torch is not None}.get(lib, True)


# ---------------------------------------------------------------------------
# W1: gradient of a 784-512-512-10 tanh MLP, softmax cross-entropy, batch 128
# ---------------------------------------------------------------------------

def _mlp_data():
    rng = np.random.default_rng(0)
    sizes = [784, 512, 512, 10]
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params += [rng.normal(0, 1 / np.sqrt(a), (a, b)), rng.normal(0, 0.1, b)]
    x = rng.normal(size=(128, 784))
    y = np.eye(10)[rng.integers(0, 10, 128)]
    return tuple(params), x, y


def mlp_loss(params, x, y, xp=np):
    w1, b1, w2, b2, w3, b3 = params
    h = xp.tanh(x @ w1 + b1)
    h = xp.tanh(h @ w2 + b2)
    z = h @ w3 + b3
    m = xp.max(z, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)) + m
    return -xp.sum(y * (z - lse)) / x.shape[0]


def _mlp_hand(params, x, y):
    # Backprop as a careful NumPy user writes it: each layer's pre-activation is made once and
    # then updated in place (bias, tanh; shift, exp, normalise for the softmax), tanh' comes
    # from the saved outputs, and the transposed products are BLAS calls on transposed views
    # (no copies). dz assumes one-hot labels (rows of y sum to 1). Inputs are not modified.
    w1, b1, w2, b2, w3, b3 = params
    h1 = x @ w1
    h1 += b1
    np.tanh(h1, out=h1)
    h2 = h1 @ w2
    h2 += b2
    np.tanh(h2, out=h2)
    dz = h2 @ w3
    dz += b3
    dz -= dz.max(axis=1, keepdims=True)
    np.exp(dz, out=dz)
    dz /= dz.sum(axis=1, keepdims=True)     # softmax(z)
    dz -= y
    dz /= x.shape[0]                         # d loss / d z
    dh2 = dz @ w3.T
    dh2 *= 1 - h2 * h2
    dh1 = dh2 @ w2.T
    dh1 *= 1 - h1 * h1
    return (x.T @ dh1, dh1.sum(0), h1.T @ dh2, dh2.sum(0), h2.T @ dz, dz.sum(0))


def w1(lib):
    params, x, y = _mlp_data()
    if lib == "numpy":
        return lambda: _mlp_hand(params, x, y)
    if lib.startswith("funcad"):
        g = _fad(lib, fad.grad(mlp_loss))
        return lambda: g(params, x, y)
    if lib == "autograd":
        g = ag.grad(lambda p, x, y: mlp_loss(p, x, y, agnp))
        return lambda: g(params, x, y)
    if lib.startswith("jax"):
        g = _jax_pair(lib, jax.grad(lambda p, x, y: mlp_loss(p, x, y, jnp)))
        jp, jx, jy = tuple(jnp.asarray(a) for a in params), jnp.asarray(x), jnp.asarray(y)
        return lambda: jax.block_until_ready(g(jp, jx, jy))
    if lib == "torch":
        tp = [_t(a).requires_grad_() for a in params]
        tx, ty = _t(x), _t(y)

        def run():
            for p in tp:
                p.grad = None
            mlp_loss(tp, tx, ty, tnp).backward()
            return [p.grad for p in tp]
        return run


def primal_w1():
    params, x, y = _mlp_data()
    return lambda: mlp_loss(params, x, y)


def _mlp_backprop_textbook(params, x, y):
    # the same backprop written out of place, as in a textbook: the check for every column,
    # the hand-written one included
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    z = h2 @ w3 + b3
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - y) / x.shape[0]
    dh2 = (dz @ w3.T) * (1 - h2 * h2)
    dh1 = (dh2 @ w2.T) * (1 - h1 * h1)
    return (x.T @ dh1, dh1.sum(0), h1.T @ dh2, dh2.sum(0), h2.T @ dz, dz.sum(0))


def ref_w1():
    return _mlp_backprop_textbook(*_mlp_data())


# ---------------------------------------------------------------------------
# W2: gradient through 1,000 tiny elementwise ops (a length-10 vector)
# ---------------------------------------------------------------------------

W2_OPS = 1000


def chain(x, xp=np):
    for _ in range(W2_OPS // 4):
        x = xp.sin(x)
        x = x * 0.999
        x = x + 0.01
        x = xp.tanh(x)
    return xp.sum(x)


def _chain_hand(x):
    # elementwise chain: the Jacobian is diagonal, so accumulate it forward (no tape)
    d = np.ones_like(x)
    for _ in range(W2_OPS // 4):
        d = d * np.cos(x)
        x = np.sin(x) * 0.999 + 0.01
        x = np.tanh(x)
        d = d * (0.999 * (1 - x * x))
    return d


_W2_X = np.linspace(-1.0, 1.0, 10)


def w2(lib):
    x = _W2_X.copy()
    if lib == "numpy":
        return lambda: _chain_hand(x)
    if lib.startswith("funcad"):
        g = _fad(lib, fad.grad(chain))
        return lambda: g(x)
    if lib == "autograd":
        g = ag.grad(lambda x: chain(x, agnp))
        return lambda: g(x)
    if lib.startswith("jax"):
        g = _jax_pair(lib, jax.grad(lambda x: chain(x, jnp)))
        jx = jnp.asarray(x)
        return lambda: jax.block_until_ready(g(jx))
    if lib == "torch":
        tx = _t(x).requires_grad_()

        def run():
            tx.grad = None
            chain(tx, tnp).backward()
            return tx.grad
        return run


def primal_w2():
    return lambda: chain(_W2_X)


def ref_w2():
    return _chain_hand(_W2_X.copy())


# ---------------------------------------------------------------------------
# W3: Hessian of the n-dimensional Rosenbrock function
# ---------------------------------------------------------------------------

def rosen(x, xp=np):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosen_hess(x):
    """Closed form: tridiagonal."""
    n = len(x)
    d = np.zeros(n)
    d[:-1] += 1200 * x[:-1] ** 2 - 400 * x[1:] + 2
    d[1:] += 200
    h = np.zeros((n, n))
    h.flat[:: n + 1] = d
    h.flat[1:: n + 1] = h.flat[n:: n + 1] = -400 * x[:-1]
    return h


def _rosen_x(n):
    return np.random.default_rng(n).uniform(-1, 1, n)


def w3(lib, n):
    x = _rosen_x(n)
    if lib == "numpy":
        return lambda: rosen_hess(x)
    if lib.startswith("funcad"):
        h = _fad(lib, fad.hessian(rosen))
        return lambda: h(x)
    if lib == "autograd":
        h = ag.hessian(lambda x: rosen(x, agnp))
        return lambda: h(x)
    if lib.startswith("jax"):
        h = _jax_pair(lib, jax.hessian(lambda x: rosen(x, jnp)))
        jx = jnp.asarray(x)
        return lambda: jax.block_until_ready(h(jx))
    if lib == "torch":
        h = tfunc.hessian(lambda x: rosen(x, tnp))
        tx = _t(x)
        return lambda: h(tx)


def primal_w3(n):
    x = _rosen_x(n)
    return lambda: rosen(x)


def ref_w3(n):
    return rosen_hess(_rosen_x(n))


# ---------------------------------------------------------------------------
# W4: Jacobian of tanh(W x + b) * x, 300 -> 300, forward and reverse
# ---------------------------------------------------------------------------

def _w4_data():
    rng = np.random.default_rng(4)
    n = 300
    return rng.normal(0, 1 / np.sqrt(n), (n, n)), rng.normal(0, 0.1, n), rng.normal(size=n)


def layer(x, w, b, xp=np):
    return xp.tanh(w @ x + b) * x


def _layer_jac(x, w, b):
    t = np.tanh(w @ x + b)
    return np.diag(t) + ((1 - t * t) * x)[:, None] * w


def w4(lib, mode):
    w, b, x = _w4_data()
    if lib == "numpy":
        return lambda: _layer_jac(x, w, b)
    if lib.startswith("funcad"):
        j = _fad(lib, (fad.jacfwd if mode == "fwd" else fad.jacrev)(layer))
        return lambda: j(x, w, b)
    if lib == "autograd":   # autograd has one Jacobian (reverse, one pass per output)
        j = ag.jacobian(lambda x, w, b: layer(x, w, b, agnp))
        return lambda: j(x, w, b)
    if lib.startswith("jax"):
        j = _jax_pair(lib, (jax.jacfwd if mode == "fwd" else jax.jacrev)(
            lambda x, w, b: layer(x, w, b, jnp)))
        jx, jw, jb = jnp.asarray(x), jnp.asarray(w), jnp.asarray(b)
        return lambda: jax.block_until_ready(j(jx, jw, jb))
    if lib == "torch":
        j = (tfunc.jacfwd if mode == "fwd" else tfunc.jacrev)(lambda x, w, b: layer(x, w, b, tnp))
        tx, tw, tb = _t(x), _t(w), _t(b)
        return lambda: j(tx, tw, tb)


def primal_w4():
    w, b, x = _w4_data()
    return lambda: layer(x, w, b)


def ref_w4():
    w, b, x = _w4_data()
    return _layer_jac(x, w, b)


# ---------------------------------------------------------------------------
# W5: the 4th derivative of a scalar function by grad(grad(grad(grad(f))))
# ---------------------------------------------------------------------------

W5_X = 0.7


def f5(x, xp=np):
    return xp.sin(x) * xp.exp(0.5 * x)


def ref_w5():
    # d^n/dx^n e^{ax} sin x = (a^2 + 1)^{n/2} e^{ax} sin(x + n atan2(1, a))
    a, n, x = 0.5, 4, W5_X
    return (a * a + 1) ** (n / 2) * np.exp(a * x) * np.sin(x + n * np.arctan2(1, a))


def w5(lib):
    x = W5_X
    if lib == "numpy":
        return None
    if lib.startswith("funcad"):
        g = _fad(lib, fad.grad(fad.grad(fad.grad(fad.grad(f5)))))
        return lambda: g(x)
    if lib == "autograd":
        g = ag.grad(ag.grad(ag.grad(ag.grad(lambda x: f5(x, agnp)))))
        return lambda: g(x)
    if lib.startswith("jax"):
        g = _jax_pair(lib, jax.grad(jax.grad(jax.grad(jax.grad(lambda x: f5(x, jnp))))))
        return lambda: jax.block_until_ready(g(x))
    if lib == "torch":
        g = tfunc.grad(tfunc.grad(tfunc.grad(tfunc.grad(lambda x: f5(x, tnp)))))
        tx = torch.tensor(x, dtype=torch.float64)
        return lambda: g(tx)


def primal_w5():
    return lambda: f5(W5_X)


# ---------------------------------------------------------------------------
# W6: gradient of a 200,001-op chain on a length-10 vector (memory)
# ---------------------------------------------------------------------------

W6_OPS = 200_000


def long_chain(x, xp=np):
    for _ in range(W6_OPS // 2):
        x = xp.sin(x)
        x = x * 1.0001
    return xp.sum(x)          # op 200,001


def ref_w6():
    x = np.linspace(-1.0, 1.0, 10)
    d = np.ones_like(x)
    for _ in range(W6_OPS // 2):
        d = d * np.cos(x) * 1.0001
        x = np.sin(x) * 1.0001
    return d


def w6(lib):
    x = np.linspace(-1.0, 1.0, 10)
    if lib == "numpy":
        return ref_w6
    if lib == "funcad-jit":
        return None     # not measured yet: recording holds the whole 800,000-step program
    if lib.startswith("funcad"):
        return lambda: fad.grad(long_chain)(x)
    if lib == "autograd":
        return lambda: ag.grad(lambda x: long_chain(x, agnp))(x)
    if lib.startswith("jax"):
        g = _jax_pair(lib, jax.grad(lambda x: long_chain(x, jnp)))
        return lambda: jax.block_until_ready(g(jnp.asarray(x)))
    if lib == "torch":
        def run():
            tx = _t(x).requires_grad_()
            long_chain(tx, tnp).backward()
            return tx.grad
        return run


# ---------------------------------------------------------------------------
# W7: per-example gradients of logistic regression, batch 256 (vmap of grad)
# ---------------------------------------------------------------------------

def _w7_data():
    rng = np.random.default_rng(7)
    n, d = 256, 100
    return rng.normal(0, 0.1, d), rng.normal(size=(n, d)), rng.choice([-1.0, 1.0], n)


def logistic(w, x, y, xp=np):
    return xp.log1p(xp.exp(-y * (x @ w)))


def _logistic_hand(w, x, y):
    s = 1 / (1 + np.exp(y * (x @ w)))
    return (-y * s)[:, None] * x


def w7(lib):
    w, x, y = _w7_data()
    if lib == "numpy":
        return lambda: _logistic_hand(w, x, y)
    if lib.startswith("funcad"):
        g = _fad(lib, fad.vmap(fad.grad(logistic), in_axes=(None, 0, 0)))
        return lambda: g(w, x, y)
    if lib == "autograd":   # no vmap: a loop over the examples
        g = ag.grad(lambda w, x, y: logistic(w, x, y, agnp))
        return lambda: np.stack([g(w, x[i], y[i]) for i in range(len(y))])
    if lib.startswith("jax"):
        g = _jax_pair(lib, jax.vmap(jax.grad(lambda w, x, y: logistic(w, x, y, jnp)),
                                    in_axes=(None, 0, 0)))
        jw, jx, jy = jnp.asarray(w), jnp.asarray(x), jnp.asarray(y)
        return lambda: jax.block_until_ready(g(jw, jx, jy))
    if lib == "torch":
        g = tfunc.vmap(tfunc.grad(lambda w, x, y: logistic(w, x, y, tnp)), in_dims=(None, 0, 0))
        tw, tx, ty = _t(w), _t(x), _t(y)
        return lambda: g(tw, tx, ty)


def primal_w7():
    w, x, y = _w7_data()
    return lambda: logistic(w, x, y)


def ref_w7():
    return _logistic_hand(*_w7_data())


# ---------------------------------------------------------------------------
# Issue 16's rows: W2s (a 200-step chain on 3 numbers), W5s, W7s, W8
# ---------------------------------------------------------------------------

W2S_X = np.array([0.3, -0.5, 0.9])


def chain_s(x, xp=np):
    for _ in range(200):
        x = xp.sin(x) * 0.999 + 0.01 * xp.cos(x)
    return xp.sum(x)


def _chain_s_hand(x):
    d = np.ones_like(x)
    for _ in range(200):
        s, c = np.sin(x), np.cos(x)
        d = d * (0.999 * c - 0.01 * s)
        x = s * 0.999 + 0.01 * c
    return d


def _simple(lib, make_fad, make_jax, hand, args):
    """A row whose derivative is one transform of one function (numpy: ``hand``)."""
    if lib == "numpy":
        return None if hand is None else (lambda: hand(*args))
    if lib.startswith("funcad"):
        g = _fad(lib, make_fad())
        return lambda: g(*args)
    if lib.startswith("jax"):
        g = _jax_pair(lib, make_jax())
        ja = [jnp.asarray(a) for a in args]
        return lambda: jax.block_until_ready(g(*ja))
    return None


def w2s(lib):
    return _simple(lib, lambda: fad.grad(chain_s), lambda: jax.grad(lambda x: chain_s(x, jnp)),
                   _chain_s_hand, (W2S_X.copy(),))


W5S_X = 0.7


def f5s(x, xp=np):
    return xp.sin(x) * xp.exp(x / 3) / (1 + x * x)


def ref_w5s():
    # Taylor coefficients at x0 of the three factors, multiplied: the 4th derivative is 24 c_4
    x0, k = W5S_X, np.arange(5)
    fact = np.array([1.0, 1.0, 2.0, 6.0, 24.0])
    s = np.sin(x0 + k * np.pi / 2) / fact
    e = np.exp(x0 / 3) * (1 / 3) ** k / fact
    q = np.array([1 + x0 * x0, 2 * x0, 1.0, 0.0, 0.0])     # 1 + (x0 + h)^2
    r = np.zeros(5)
    for n in range(5):
        r[n] = ((1.0 if n == 0 else 0.0) - sum(q[j] * r[n - j] for j in range(1, n + 1))) / q[0]
    c = np.convolve(np.convolve(s, e)[:5], r)[:5]
    return 24 * c[4]


def w5s(lib):
    return _simple(lib, lambda: fad.grad(fad.grad(fad.grad(fad.grad(f5s)))),
                   lambda: jax.grad(jax.grad(jax.grad(jax.grad(lambda x: f5s(x, jnp))))),
                   None, (W5S_X,))


def _w7s_data():
    rng = np.random.default_rng(17)
    n, d = 256, 32
    return (rng.normal(0, 0.1, d), 0.1, rng.normal(size=(n, d)), rng.choice([-1.0, 1.0], n))


def logistic_b(w, b, x, y, xp=np):
    return xp.log1p(xp.exp(-y * (x @ w + b)))


def _logistic_b_hand(w, b, x, y):
    s = -y / (1 + np.exp(y * (x @ w + b)))
    return s[:, None] * x, s


def w7s(lib):
    w, b, x, y = _w7s_data()
    return _simple(
        lib, lambda: fad.vmap(fad.grad(logistic_b, argnums=(0, 1)), in_axes=(None, None, 0, 0)),
        lambda: jax.vmap(jax.grad(lambda w, b, x, y: logistic_b(w, b, x, y, jnp),
                                  argnums=(0, 1)), in_axes=(None, None, 0, 0)),
        _logistic_b_hand, (w, b, x, y))


def primal_w7s():
    w, b, x, y = _w7s_data()
    return lambda: np.sum(logistic_b(w, b, x, y))


def ref_w7s():
    return _logistic_b_hand(*_w7s_data())


W8_Y = np.array([0.7, 3e-5, 0.3])


def robertson(y, xp=np):
    y1, y2, y3 = y[0], y[1], y[2]
    return xp.stack([-0.04 * y1 + 1e4 * y2 * y3,
                     0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2,
                     3e7 * y2 * y2])


def robertson_jac(y):
    _, y2, y3 = y
    return np.array([[-0.04, 1e4 * y3, 1e4 * y2],
                     [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2],
                     [0.0, 6e7 * y2, 0.0]])


def w8(lib):
    return _simple(lib, lambda: fad.jacfwd(robertson),
                   lambda: jax.jacfwd(lambda y: robertson(y, jnp)), robertson_jac, (W8_Y.copy(),))

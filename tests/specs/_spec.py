"""The spec format of the table-driven primitive test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# input domains: name -> sampler(rng, shape) giving values where the function is smooth
DOMAINS: dict[str, Callable] = {
    "real": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.8, 0.8, s),          # (-1, 1) with margin
    "above_one": lambda rng, s: rng.uniform(1.2, 3.0, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s),
    "distinct": lambda rng, s: (rng.permutation(int(np.prod(s, dtype=int))).reshape(s)
                                + rng.uniform(-0.3, 0.3, s)) * 0.5,   # no ties
    "complex": lambda rng, s: rng.uniform(-2, 2, s) + 1j * rng.uniform(-2, 2, s),
}

UNARY_SHAPES = [((),), ((3,),), ((2, 3),)]
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3))]


@dataclass
class Spec:
    """One row of the table.

    Attributes:
      name: the label in test ids (usually the primitive/function name).
      fn: the function under test, taking arrays only (bake static args in with a lambda).
      shapes: a list of argument-shape tuples to try (one shape per argument).
      domain: a DOMAINS key, or a tuple with one key per argument.
      order: derivative order for check_grads (2 unless the function is piecewise linear
        so that second derivatives are zero/undefined at kinks).
      modes: check_grads modes.
      vmap: also check vmap(fn) against a Python loop over a batch.
      atol, rtol, eps: check_grads tolerances (None: dtype defaults).
      dtype: input dtype.
    """

    name: str
    fn: Callable
    shapes: list = field(default_factory=lambda: list(UNARY_SHAPES))
    domain: object = "real"
    order: int = 2
    modes: tuple = ("fwd", "rev")
    vmap: bool = True
    atol: float | None = None
    rtol: float | None = None
    eps: float | None = None
    dtype: object = np.float64

    def sample(self, rng, shapes):
        doms = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(shapes)
        return tuple(np.asarray(DOMAINS[d](rng, s), dtype=self.dtype if d != "complex" else
                                np.complex128) for d, s in zip(doms, shapes))

"""funcad.scipy.integrate: differentiable ODE solvers (``odeint``, ``solve_ivp``).

An adaptive explicit Runge–Kutta integrator (Dormand–Prince 5(4), Bogacki–Shampine
3(2)) written so that funcad can trace it; derivatives by the continuous adjoint (the
default) or through the solver's checkpointed steps (``gradient="discrete"``). Built on
the public funcad API only (layer L7, like ``funcad.optim``). See docs/scipy-integrate.md.
"""

from ._ivp import OdeResult, solve_ivp
from ._odeint import odeint

__all__ = ["odeint", "solve_ivp", "OdeResult"]

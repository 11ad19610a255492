"""The exception classes funcad raises. Each docstring names the cause and the fix."""

from __future__ import annotations

__all__ = [
    "FuncadError", "EscapedTracerError", "ConcretizationError", "NoRuleError",
    "UnsupportedFunctionError", "TracerArrayConversionError", "TracerBufferError",
    "BatchingError", "JitRetraceError", "ForeignArrayWarning", "ArrayLibraryMixError",
]


class FuncadError(Exception):
    """Base class of every funcad-specific error."""


class EscapedTracerError(FuncadError):
    """A traced value was used after the transform that made it had returned.

    Cause: a tracer was stored in a global, a closure or an attribute inside a
    transformed function and used later. Fix: return the value from the
    function instead, or call ``fad.stop_gradient`` before storing it.
    """


class ConcretizationError(FuncadError, TypeError):
    """A traced value was converted to a Python number or plain NumPy array.

    Cause: ``float(x)``, ``x.item()``, ``np.asarray(x)`` or writing ``x`` into
    a plain NumPy array (``a[i] = x``) inside a transformed function; the
    derivative would be dropped silently. Fix: keep the value as an array
    (``funcad.numpy.zeros`` + ``x.at[i].set(v)``), or use
    ``fad.stop_gradient(x)`` if the derivative is meant to be zero.
    """


class NoRuleError(FuncadError, NotImplementedError):
    """A primitive has no rule for the transform being applied.

    Fix: use a function that has one, or give your own with
    ``fad.custom_jvp`` / ``fad.custom_vjp``.
    """


class UnsupportedFunctionError(FuncadError, NotImplementedError):
    """A NumPy function that funcad does not differentiate was called on a traced value.

    The message names the function and the reason. Fix: rewrite with the
    supported functions listed in docs/numpy-coverage.md, or wrap it with
    ``fad.custom_vjp``.
    """


class TracerArrayConversionError(ConcretizationError):
    """``np.array``/``np.asarray`` was called on a traced value.

    Fix: use ``funcad.numpy.asarray`` / ``funcad.numpy.stack``, which accept
    traced values.
    """


class TracerBufferError(ConcretizationError, AttributeError):
    """The memory of a traced value was asked for (``x.tobytes()``, ``x.data``,
    ``x.ctypes``, ``x.__array_interface__``, ``bytes(x)``).

    A traced value has no buffer a derivative could flow through. It is also an
    ``AttributeError``, so ``hasattr`` probes (NumPy's array coercion among them)
    see the attribute as absent. Fix: keep operating on the array, or read the
    memory of ``fad.stop_gradient(x)`` if a constant is meant.
    """


class BatchingError(FuncadError, ValueError):
    """vmap could not batch a computation (inconsistent axis sizes, or
    data-dependent Python control flow on a batched value).

    Fix: check ``in_axes`` and the shapes passed in; replace ``if`` on a
    batched value with ``funcad.numpy.where``.
    """


class SparsityError(FuncadError, ValueError):
    """Sparsity detection cannot give a sound pattern here, or a given pattern is too small.

    Cause: a pattern denser than detection allows (``sum(x) ** 2`` of a large ``x``), or a
    ``sparsity=`` pattern that misses an entry of the derivative. Fix: use the dense
    ``fad.jacobian`` / ``fad.hessian``, or pass a pattern that holds every nonzero.
    """


class CustomRuleError(FuncadError, TypeError):
    """A custom_jvp/custom_vjp rule is missing or returned values of the wrong structure.

    The message names the function and shows what was expected and what came back.
    Fix the rule so its outputs match the function's inputs (bwd) or outputs (jvp).
    """


class JitRetraceError(FuncadError, RuntimeError):
    """A function made with ``fad.jit(..., on_retrace="error")`` would be recorded again.

    Cause: a guard failed (Python read a staged value, e.g. ``if x > 0`` or ``float(x)``, and
    this call saw another value), or an array it reads from a closure or a global changed.
    Fix: make the value a static argument (``static_argnums``), branch with ``fnp.where``,
    or allow retraces (``on_retrace="warn"``).
    """


class ForeignArrayWarning(UserWarning):
    """A primitive not audited for Dask or CuPy arrays received one: its operands were
    converted to NumPy (a Dask graph computed, a CuPy array copied to the host) and its
    result made an array of that library again. The derivative is right; only laziness (or
    staying on the device) is lost at that step. docs/scaling.md lists the primitives that
    keep Dask arrays lazy; write the step with those, or compute it outside the function."""


class ArrayLibraryMixError(FuncadError, TypeError):
    """An operation met a CuPy (device) array and a NumPy (host) array together.

    Cause: CuPy refuses NumPy operands (mixing would copy between host and device at every
    step), so a function of CuPy data called with NumPy weights, or a NumPy constant made
    inside the function, fails. Fix: make every array the function uses a CuPy array
    (``cupy.asarray(w)``; inside the function ``cupy.eye(n)`` or ``np.eye(n, like=x)``).
    Dask arrays mix with NumPy ones and never raise this.
    """

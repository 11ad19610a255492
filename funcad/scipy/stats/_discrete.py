"""Helpers of the discrete distributions: the support mask and exp of a log-pmf."""

from __future__ import annotations

from ... import numpy as fnp


def on_support(k, lo, hi=None):
    """``k`` an integer in ``[lo, hi]`` (``hi`` None: unbounded)."""
    ok = (k == fnp.floor(k)) & (k >= lo)
    return ok if hi is None else ok & (k <= hi)


def masked(ok, value):
    """``value`` where ``ok``, ``-inf`` elsewhere."""
    return fnp.where(ok, value, -fnp.inf)

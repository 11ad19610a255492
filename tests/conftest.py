"""FUNCAD_REQUIRE=jax,optax turns ``pytest.importorskip`` of those modules into a plain import.

CI's parity leg sets it, so a parity test against JAX or optax fails there when the module is
missing or broken instead of being skipped (elsewhere those tests skip when it is not installed).
"""

from __future__ import annotations

import importlib
import os

import pytest

REQUIRED = {m.strip() for m in os.environ.get("FUNCAD_REQUIRE", "").split(",") if m.strip()}

if REQUIRED:
    _importorskip = pytest.importorskip

    def _import_or_fail(modname, *args, **kwargs):
        if modname.split(".")[0] in REQUIRED:
            return importlib.import_module(modname)    # an ImportError fails the test
        return _importorskip(modname, *args, **kwargs)

    pytest.importorskip = _import_or_fail

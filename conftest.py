"""Skip the doctests of modules whose optional dependency is not installed."""

import importlib.util

collect_ignore = ["benchmarks", "examples", "scripts"]
if importlib.util.find_spec("scipy") is None:
    collect_ignore_glob = ["funcad/scipy/*"]      # every funcad.scipy module needs SciPy

#!/usr/bin/env bash
# The device checks of issue 19, as one short run on a machine with an NVIDIA GPU and CuPy
# (the workplace's H200 image has cupy-cuda13x, pytest, hypothesis, SciPy):
#
#     bash benchmarks/gpu_check.sh            # logs to $OUT (or /tmp) as well as stdout
#
# 1. tests/test_cupy.py on CuPy itself (the audited spec rows in value/grad/jvp/vmap, mixing,
#    every other row with its constants as CuPy arrays): ~1-2 min;
# 2. python -m benchmarks.cupy_mlp: W1's MLP gradient at batch 4096, CuPy vs NumPy on every
#    CPU core (target: >= 20x), < 1 min.
set -uo pipefail
out=${OUT:-/tmp}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
$py -c "import cupy, numpy; print('cupy', cupy.__version__, 'numpy', numpy.__version__,
cupy.cuda.runtime.getDeviceProperties(0)['name'])" 2>&1 | tee "$out/versions.txt"
timeout 420 $py -m pytest -q -p no:cacheprovider -rs tests/test_cupy.py 2>&1 \
    | tee "$out/cupy_tests.log" | tail -n 40
echo "tests rc=${PIPESTATUS[0]}"
timeout 150 $py -m benchmarks.cupy_mlp 2>&1 | tee "$out/cupy_mlp.log"
echo "benchmark rc=${PIPESTATUS[0]}"

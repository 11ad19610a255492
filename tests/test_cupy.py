benchmarks/gpu_check.sh: line 17: 11: Bad file descriptor

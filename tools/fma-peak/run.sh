#!/bin/sh
# One core's FP32 FMA peak (GFLOP/s, best of 5 in CPU time); multiply by the core count for the machine's peak.
# Needs gcc (apt-get install gcc). AVX-512 when the CPU has it, else AVX2.
set -e
dir=$(dirname "$0")
flags="-O3 -mfma -mavx2"  # -O3 unrolls the 12 chains into registers (-O2 keeps them on the stack)
grep -q avx512f /proc/cpuinfo && flags="$flags -mavx512f"
gcc $flags -o /tmp/pluginmoe-fma-peak "$dir/fma_peak.c"
/tmp/pluginmoe-fma-peak

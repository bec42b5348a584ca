#!/bin/sh
# Installs the PyTorch reference used by the benchmark's --reference mode and by the golden-value
# generators: Debian's python3-torch (run as /usr/bin/python3) and OpenBLAS, which Debian's torch then
# uses for matmul instead of the slow reference BLAS. Idempotent. The product itself never needs these.
set -e
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=""
/usr/bin/python3 -c "import torch" 2>/dev/null || need="$need python3-torch"
[ -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ] || need="$need libopenblas0"
if [ -n "$need" ]; then
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y $need
fi
/usr/bin/python3 -c "import torch; print(\"reference ready: torch\", torch.__version__)"

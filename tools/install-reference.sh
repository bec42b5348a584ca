#!/bin/sh
# Installs the PyTorch reference (Debian's python3-torch, used as /usr/bin/python3) for the benchmark's
# --reference mode and the golden-value generators. Idempotent: does nothing when torch already imports.
set -e
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "python3-torch already installed: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update
$SUDO apt-get install -y python3-torch

#!/usr/bin/env bash
# Mutation testing of the core numeric modules (scoring/ratio.py, scoring/dual.py,
# pls/_algorithm.py), each with its own tests, via mutmut. See tools/mutation.py for what is
# scored. Pass-through arguments, e.g.:  bash benchmarks/mutation.sh ratio --sample 0
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python}"
exec "$PY" tools/mutation.py "$@"

#!/usr/bin/env bash
# Build the csindex documentation in strict mode: any warning (broken link, unknown
# cross-reference, docstring that griffe cannot parse) fails the build.
#
# Usage: bash docs/build.sh [SITE_DIR]
#   SITE_DIR defaults to a temporary directory that is removed afterwards;
#   pass e.g. "site" to keep the built HTML.
# Needs the docs extra: pip install -e ".[docs]"  (mkdocs, mkdocstrings[python]).
set -euo pipefail
cd "$(dirname "$0")/.."

MKDOCS=(mkdocs)
if ! command -v mkdocs >/dev/null 2>&1; then
    MKDOCS=("${PYTHON:-python3}" -m mkdocs)
fi

KEEP_SITE=1
if [[ $# -ge 1 ]]; then
    SITE_DIR="$1"
else
    SITE_DIR="$(mktemp -d)"
    KEEP_SITE=0
fi
LOG="$(mktemp)"
cleanup() {
    rm -f "$LOG"
    if [[ $KEEP_SITE -eq 0 ]]; then rm -rf "$SITE_DIR"; fi
}
trap cleanup EXIT

# mkdocstrings imports nothing (griffe reads the source), but point it at src/ anyway
# so an uninstalled checkout builds too.
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"

status=0
"${MKDOCS[@]}" build --strict --clean --site-dir "$SITE_DIR" 2>&1 | tee "$LOG" || status=$?
if [[ $status -ne 0 ]]; then
    echo "docs/build.sh: mkdocs build --strict failed (exit $status)" >&2
    exit "$status"
fi
# --strict already turns warnings into errors; this also catches WARNING lines from
# plugins that log without tripping strict mode.
if grep -E '^(WARNING|ERROR)' "$LOG" >/dev/null; then
    echo "docs/build.sh: the build logged warnings (see above); fix them" >&2
    exit 1
fi
echo "docs/build.sh: documentation built in $SITE_DIR"

#!/usr/bin/env bash
# Installs Langflow 1.13.0 (`langflow-base==1.13.0` from PyPI) into a cached virtual environment
# for the gateway tests, and prints the path of its python on stdout (everything else goes to
# stderr). Skips the install when the environment is already there and healthy.
#   scripts/setup-langflow.sh            install if needed, print the python path
#   LANGFLOW_EDGE_CACHE=/some/dir ...    cache folder (default ~/.cache/langflow-edge)
#   PYTHON=python3.11 ...                the interpreter to build the venv from
# First run: about 4 minutes and about 1.8 GB; afterwards about a second.
# When scripts/langflow-1.13.0-constraints.txt exists, pip installs exactly those versions of the
# dependencies (a `pip freeze` of a working install), so later installs get the same tree.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=1.13.0
cache="${LANGFLOW_EDGE_CACHE:-$HOME/.cache/langflow-edge}"
venv="$cache/langflow-$version"
marker="$venv/.langflow-edge-ready"
constraints="$here/langflow-$version-constraints.txt"
say() { echo "setup-langflow: $*" >&2; }

healthy() {
  # Cheap on purpose: `import langflow` takes 5-12 s here, so check the metadata, the two files
  # the gateway relies on, and that the native dependencies load.
  [ -f "$marker" ] && [ -x "$venv/bin/python" ] && "$venv/bin/python" - "$version" <<'PY' >/dev/null 2>&1
import sys, sysconfig, os
from importlib.metadata import version
assert version("langflow-base") == sys.argv[1], version("langflow-base")
site = sysconfig.get_paths()["purelib"]
for f in ("langflow/services/auth/external.py", "lfx/services/settings/auth.py", "langflow/__main__.py"):
    assert os.path.isfile(os.path.join(site, f)), f
import fastapi, uvicorn, jwt, sqlalchemy, pydantic_core  # noqa: F401,E401
import cryptography.hazmat.primitives.asymmetric.rsa  # noqa: F401
PY
}

mkdir -p "$cache"
# One installer at a time (tests started side by side share the cache).
exec 9>"$cache/.langflow-$version.lock"
flock 9

if healthy; then
  echo "$venv/bin/python"
  exit 0
fi

python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
fi
[ -n "$python" ] || { say "no python3 found (Langflow 1.13 needs 3.10 to 3.13)"; exit 1; }
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.10|3.11|3.12|3.13) ;;
  *) say "$python is Python $pyver; Langflow 1.13 needs 3.10 to 3.13 (set PYTHON=...)"; exit 1 ;;
esac

if [ -d "$venv" ]; then
  say "removing an incomplete or broken environment at $venv"
  rm -rf "$venv"
fi
say "creating $venv with $python ($pyver)"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
args=(--disable-pip-version-check --no-cache-dir --quiet)
if [ -f "$constraints" ]; then
  args+=(--constraint "$constraints")
  say "installing langflow-base==$version with the pinned dependencies (about 4 min, about 1.8 GB)"
else
  say "installing langflow-base==$version (about 4 min, about 1.8 GB)"
fi
started=$(date +%s)
"$venv/bin/python" -m pip install "${args[@]}" "langflow-base==$version" >&2
touch "$marker"
if ! healthy; then
  rm -f "$marker"
  say "installed, but langflow does not import; see $venv"
  exit 1
fi
say "installed in $(( $(date +%s) - started )) s, $(du -sh "$venv" | cut -f1)"
echo "$venv/bin/python"

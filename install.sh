#!/bin/sh
# Installs scaffold from its GitHub releases: picks the archive for this
# machine, verifies its SHA-256 against the release's checksum file, and puts
# the binary in ~/.local/bin (or --to DIR).
#
#   curl --proto '=https' --tlsv1.2 -sSfL https://github.com/scaffold-dev/scaffold/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.1.0 --to /usr/local/bin
#
# The archive names follow .github/workflows/release.yml.
set -eu

repository="scaffold-dev/scaffold"
version="latest"
to="${HOME}/.local/bin"

usage() {
    echo "usage: install.sh [--version vX.Y.Z] [--to DIR]"
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --version) version="${2:?--version needs a value}"; shift 2 ;;
        --to) to="${2:?--to needs a value}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

fail() {
    echo "install.sh: $*" >&2
    exit 1
}

case "$(uname -s)" in
    Linux) os="unknown-linux-musl" ;;
    Darwin) os="apple-darwin" ;;
    *) fail "no prebuilt scaffold for $(uname -s); build it with cargo: cargo install --git https://github.com/${repository} --locked scaffold-cli" ;;
esac
case "$(uname -m)" in
    x86_64|amd64) arch="x86_64" ;;
    aarch64|arm64) arch="aarch64" ;;
    *) fail "no prebuilt scaffold for $(uname -m)" ;;
esac
target="${arch}-${os}"
archive="scaffold-${target}.tar.gz"
if [ "$version" = "latest" ]; then
    url="https://github.com/${repository}/releases/latest/download"
else
    url="https://github.com/${repository}/releases/download/${version}"
fi

command -v curl > /dev/null || fail "curl is needed"
temp="$(mktemp -d)"
trap 'rm -rf "$temp"' EXIT
cd "$temp"
echo "downloading ${url}/${archive}"
curl --proto '=https' --tlsv1.2 --fail --silent --show-error --location \
    --remote-name "${url}/${archive}" --remote-name "${url}/${archive}.sha256"
if command -v sha256sum > /dev/null; then
    sha256sum -c "${archive}.sha256" > /dev/null || fail "checksum mismatch for ${archive}"
else
    shasum -a 256 -c "${archive}.sha256" > /dev/null || fail "checksum mismatch for ${archive}"
fi
tar -xzf "$archive"
mkdir -p "$to"
cp "scaffold-${target}/scaffold" "$to/scaffold"
chmod 0755 "$to/scaffold"
echo "installed $("$to/scaffold" --version) to $to/scaffold"
case ":${PATH}:" in
    *":${to}:"*) ;;
    *) echo "note: ${to} is not on your PATH; add it, for example in ~/.profile: export PATH=\"${to}:\$PATH\"" ;;
esac
echo "completions: scaffold completions bash|zsh|fish|powershell|elvish (see scaffold completions --help)"

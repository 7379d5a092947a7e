#!/usr/bin/env bash
# Builds the two Kubernetes control-plane binaries the kube suites need
# (kube-apiserver and kube-controller-manager v1.20.2) from Debian's
# `kubernetes` source package with Go 1.15, and caches them under
# ${XDG_CACHE_HOME:-$HOME/.cache}/meshinject-kube/. Installs etcd (Debian
# `etcd-server`) too. Idempotent: exits at once when the cached binaries exist.
#
# Why Go 1.15: an apiserver v1.20 built with Go >= 1.18 crashes (SIGSEGV in its
# vendored reflect2 1.0.1) when it applies a mutating webhook's patch.
#
# The apt mirror is read from the machine's own /etc/apt/sources.list.d/debian.sources
# (first URI and keyring of the stanza listing bookworm); no host name is written here.
# Needs root (or sudo) for apt. About 6 minutes on 2 cores.
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/meshinject-kube"
want=(kube-apiserver kube-controller-manager)

have_all() {
  local b
  for b in "${want[@]}"; do [ -x "$cache/$b" ] || return 1; done
  command -v etcd >/dev/null
}
if have_all; then
  echo "build-control-plane: cached in $cache"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "build-control-plane: needs root or sudo for apt" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$cache"
start=$(date +%s)

# --- apt sources: deb-src for bookworm, and bullseye for golang-1.15-go --------------------
sources=/etc/apt/sources.list.d/debian.sources
extra=/etc/apt/sources.list.d/meshinject-kube.sources
if [ ! -f "$extra" ]; then
  [ -f "$sources" ] || { echo "build-control-plane: $sources not found: cannot learn the Debian mirror" >&2; exit 1; }
  # The stanza whose Suites list bookworm (not bookworm-security): its URIs and Signed-By.
  read -r uri keyring < <(awk '
    /^[[:space:]]*$/ { if (suite && uri) { print uri, key; exit } ; suite=0; uri=""; key=""; next }
    /^URIs:/ { uri=$2 }
    /^Signed-By:/ { key=$2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite=1 }
    END { if (suite && uri) print uri, key }
  ' "$sources")
  [ -n "${uri:-}" ] || { echo "build-control-plane: no bookworm stanza with URIs in $sources" >&2; exit 1; }
  echo "build-control-plane: writing $extra (mirror from $sources)"
  $sudo tee "$extra" >/dev/null <<EOF
# Written by meshinject tests/kube/build-control-plane.sh (same mirror and keyring as debian.sources).
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: $keyring

Types: deb
URIs: $uri
Suites: bullseye
Components: main
Signed-By: $keyring
EOF
fi

# bullseye only supplies golang-1.15-go: never prefer it for anything else.
pin=/etc/apt/preferences.d/meshinject-kube
if [ ! -f "$pin" ]; then
  printf 'Package: *\nPin: release n=bullseye\nPin-Priority: 100\n' | $sudo tee "$pin" >/dev/null
fi

need=()
command -v etcd >/dev/null || need+=(etcd-server)
command -v rsync >/dev/null || need+=(rsync)
command -v make >/dev/null || need+=(make)
command -v dpkg-source >/dev/null || need+=(dpkg-dev)
[ -x /usr/lib/go-1.15/bin/go ] || need+=(golang-1.15-go)
$sudo apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  echo "build-control-plane: installing ${need[*]}"
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- source and build ------------------------------------------------------------------------
work="$cache/src"
mkdir -p "$work"
cd "$work"
srcdir=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
if [ -z "$srcdir" ]; then
  echo "build-control-plane: apt-get source kubernetes (into $work)"
  apt-get source -qq kubernetes >/dev/null
  srcdir=$(find . -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)
fi
[ -n "$srcdir" ] || { echo "build-control-plane: no kubernetes-* source directory in $work" >&2; exit 1; }
cd "$srcdir"
echo "build-control-plane: building in $work/$srcdir with $(/usr/lib/go-1.15/bin/go version)"
export PATH="/usr/lib/go-1.15/bin:$PATH"
export GO111MODULE=off GOCACHE="$cache/go-build"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager"

for b in "${want[@]}"; do
  built=$(find _output -type f -name "$b" -perm -u+x | head -n 1)
  [ -n "$built" ] || { echo "build-control-plane: $b not found under _output" >&2; exit 1; }
  install -m 0755 "$built" "$cache/$b.tmp"
  mv "$cache/$b.tmp" "$cache/$b"
done
echo "build-control-plane: done in $(( $(date +%s) - start ))s: $("$cache/kube-apiserver" --version)"

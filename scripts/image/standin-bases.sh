#!/usr/bin/env bash
# Local stand-ins for the Dockerfile's two base images, assembled from this (Debian 12) machine,
# because the registries serving oven/bun and gcr.io/distroless cannot be reached from CI:
#   runtime  like gcr.io/distroless/cc-debian12:nonroot: glibc, libgcc, libstdc++, libgomp, libssl,
#            CA certificates, tzdata, /etc/passwd with nonroot (65532), no shell, USER 65532
#   build    like oven/bun:1.4.5: the runtime files plus a shell (dash as /bin/sh) and bun from the
#            npm package, running as root
# Usage: standin-bases.sh BUN_BINARY  -> prints "BUILD_IMAGE RUNTIME_IMAGE" (local tags).
# Tags carry a key made of this script, the Debian package versions and bun's version, so a warm run
# reuses the images; the tarballs are kept in ~/.cache/tureen/image/ for a machine whose podman
# storage was wiped.
set -euo pipefail

bun_binary=$(readlink -f "$1")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tureen/image"
packages=(libc6 libgcc-s1 libstdc++6 libgomp1 libssl3 tzdata netbase)
arch=$(dpkg --print-architecture)

# A minimal Debian may lack some of them (tzdata, netbase, libgomp1): they are small, install them.
missing=()
for package in "${packages[@]}" ca-certificates; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi

key=$( { cat "$0"; dpkg-query -W "${packages[@]}"; "$bun_binary" --version; } | sha256sum | cut -c1-12)
runtime_tag="localhost/tureen-standin-runtime:$key"
build_tag="localhost/tureen-standin-build:$key"

# The files of the packages (not their docs), through /lib -> usr/lib and the like, as real paths.
package_files() {
  local -A real=()
  local dir
  dpkg -L "${packages[@]}" | grep -Ev '^/usr/share/(doc|doc-base|lintian|man|locale|bug)/|^/usr/(s?bin)/|^/\.$' |
    while read -r path; do
      [[ -d "$path" && ! -L "$path" ]] && continue
      [[ -e "$path" || -L "$path" ]] || continue
      dir=${path%/*} && dir=${dir:-/}
      [[ -n ${real[$dir]:-} ]] || real[$dir]=$(readlink -f "$dir")
      printf '%s/%s\n' "${real[$dir]#/}" "${path##*/}"
    done | sed 's#^/##' | sort -u
}

# A root file system with Debian's merged /usr layout, the packages' files and the distroless /etc.
assemble_runtime() {
  local root=$1
  mkdir -p "$root"/{etc/ssl/certs,usr/bin,usr/sbin,usr/lib,usr/lib64,tmp,root,home/nonroot,var}
  ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"; ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
  package_files | tar -C / --no-recursion -cf - -T - | tar -C "$root" --keep-directory-symlink -xf -
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  cp /etc/os-release "$root/etc/os-release" 2>/dev/null || cp /usr/lib/os-release "$root/etc/os-release"
  cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$root/etc/group"
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"; chmod 700 "$root/root"
  chown -R 0:0 "$root"; chown 65532:65532 "$root/home/nonroot"
}

# Import ROOT as TAG with the given --change instructions, through a cached tarball.
import_image() {
  local tag=$1 tarball=$2; shift 2
  if podman image exists "$tag"; then return; fi
  podman import --quiet "${@/#/--change=}" "$tarball" "$tag" >/dev/null
}

ensure() {
  local name=$1 tag=$2; shift 2
  local tarball="$cache/$name-$key.tar"
  podman image exists "$tag" && return
  if [[ ! -s "$tarball" ]]; then
    local work; work=$(mktemp -d)
    assemble_runtime "$work/root"
    if [[ $name == build ]]; then
      install -m 0755 "$bun_binary" "$work/root/usr/local/bin/bun" 2>/dev/null ||
        { mkdir -p "$work/root/usr/local/bin"; install -m 0755 "$bun_binary" "$work/root/usr/local/bin/bun"; }
      ln -s bun "$work/root/usr/local/bin/bunx"
      install -m 0755 "$(readlink -f /bin/dash)" "$work/root/usr/bin/dash"
      ln -s dash "$work/root/usr/bin/sh"
      sed -i 's#^root:.*#root:x:0:0:root:/root:/bin/sh#' "$work/root/etc/passwd"
    fi
    mkdir -p "$cache"
    rm -f "$cache/$name-"*.tar
    tar --numeric-owner -C "$work/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$work"
  fi
  import_image "$tag" "$tarball" "$@"
}

path_env="ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ensure runtime "$runtime_tag" "$path_env" "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
  "USER 65532" "WORKDIR /home/nonroot" "LABEL org.opencontainers.image.title=distroless-cc-debian12-standin-$arch"
# Bun trusts its own root store, not the system one: NODE_EXTRA_CA_CERTS adds this machine's bundle,
# which holds the CA of any TLS-intercepting proxy between CI and the npm registry.
ensure build "$build_tag" "$path_env" \
  "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt" "USER root" "WORKDIR /home/bun/app" \
  "LABEL org.opencontainers.image.title=oven-bun-standin-$arch"
# Stand-ins of earlier keys only take space.
podman images --format '{{.Repository}}:{{.Tag}}' | grep -E '^localhost/tureen-standin-(build|runtime):' |
  grep -v ":$key\$" | xargs -r podman rmi >/dev/null 2>&1 || true
echo "$build_tag $runtime_tag"

#!/usr/bin/env bash
# Release artifacts as the Terraform Registry's publishing rules ask for them, under $DIST
# (default dist/):
#
#   terraform-provider-todo_<version>_<os>_<arch>.zip   holding terraform-provider-todo_v<version>
#   terraform-provider-todo_<version>_manifest.json     {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#   terraform-provider-todo_<version>_SHA256SUMS        every zip of the version, and the manifest
#   terraform-provider-todo_<version>_SHA256SUMS.sig    detached binary signature, gpg --local-user $GPG_FINGERPRINT
#
# Commands (`make release` runs check, then builds, then package and sign):
#   check             stop with a clear message unless GPG_FINGERPRINT names a secret key gpg has
#   package [BINARY]  zip BINARY (default target/release/terraform-provider-todo) for OS_ARCH
#   sign              write the manifest and SHA256SUMS over the version's zips in $DIST, and sign
#   check-tag TAG     stop unless TAG is v<version> (the release workflow's first step)
#   check-platform    stop unless OS_ARCH, if set, is this machine's platform (no mislabelled zip)
#   notes             print the version's section of CHANGELOG.md (the GitHub release's notes)
#
# Settings (environment): VERSION (default: Cargo.toml's), DIST, OS_ARCH (default: this
# machine, e.g. linux_amd64), GPG_FINGERPRINT, GPG (default gpg), GNUPGHOME as gpg reads it,
# SOURCE_DATE_EPOCH (zip entry times; default the last commit's time, so a rebuild of the same
# commit gives the same zip).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
name=terraform-provider-todo
version=${VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)}
dist=${DIST:-$root/dist}
gpg=${GPG:-gpg}
protocol_version=6.0

die() { printf 'release: %s\n' "$*" >&2; exit 1; }

[ -n "$version" ] || die "no version in $root/Cargo.toml"

host_os_arch() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  arch=$(uname -m)
  case "$arch" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
  esac
  printf '%s_%s\n' "$os" "$arch"
}

# The check `make release` runs before building, so that a missing key costs no build.
check_key() {
  command -v "$gpg" >/dev/null 2>&1 ||
    die "'$gpg' is not installed. Install GnuPG (Debian/Ubuntu: apt-get install gnupg; macOS: brew install gnupg)."
  if [ -z "${GPG_FINGERPRINT:-}" ]; then
    die "GPG_FINGERPRINT is not set. A release's SHA256SUMS must be signed: set GPG_FINGERPRINT to the
  fingerprint of your signing key (gpg --list-secret-keys --keyid-format long), e.g.
    make release GPG_FINGERPRINT=0123456789ABCDEF0123456789ABCDEF01234567
  The Terraform Registry accepts RSA (or DSA) keys; register the public key with your namespace."
  fi
  "$gpg" --batch --list-secret-keys "$GPG_FINGERPRINT" >/dev/null 2>&1 ||
    die "gpg has no secret key for GPG_FINGERPRINT=$GPG_FINGERPRINT (GNUPGHOME=${GNUPGHOME:-~/.gnupg})."
}

package() {
  local binary=${1:-$root/target/release/$name}
  local os_arch=${OS_ARCH:-$(host_os_arch)}
  [ -x "$binary" ] || die "no provider binary at $binary (build it first: make release-binary)"
  mkdir -p "$dist"
  local zip="$dist/${name}_${version}_${os_arch}.zip"
  local epoch=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}
  rm -f "$zip"
  # Python's zipfile (Python 3 is a prerequisite already): one entry, mode 0755, a fixed time.
  python3 - "$binary" "$zip" "${name}_v${version}" "$epoch" <<'PY'
import sys, time, zipfile
binary, zip_path, entry, epoch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
info = zipfile.ZipInfo(entry, date_time=time.gmtime(max(epoch, 315532800))[:6])
info.external_attr = (0o100755 & 0xFFFF) << 16
info.compress_type = zipfile.ZIP_DEFLATED
info.create_system = 3  # unix, so that the mode is read
with open(binary, "rb") as f, zipfile.ZipFile(zip_path, "w") as z:
    z.writestr(info, f.read())
PY
  echo "release: wrote $zip"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

sign() {
  check_key
  [ -d "$dist" ] || die "no $dist: run the package step first"
  local manifest="${name}_${version}_manifest.json"
  local sums="${name}_${version}_SHA256SUMS"
  local zips=()
  local f
  for f in "$dist/${name}_${version}_"*.zip; do
    [ -e "$f" ] && zips+=("$(basename "$f")")
  done
  [ "${#zips[@]}" -gt 0 ] || die "no ${name}_${version}_<os>_<arch>.zip in $dist: run the package step first"
  printf '{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": ["%s"]\n  }\n}\n' \
    "$protocol_version" >"$dist/$manifest"
  : >"$dist/$sums.tmp"
  while IFS= read -r f; do
    printf '%s  %s\n' "$(sha256_of "$dist/$f")" "$f" >>"$dist/$sums.tmp"
  done < <(printf '%s\n' "${zips[@]}" "$manifest" | LC_ALL=C sort)
  mv "$dist/$sums.tmp" "$dist/$sums"
  rm -f "$dist/$sums.sig"
  "$gpg" --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign \
    --output "$dist/$sums.sig" "$dist/$sums"
  echo "release: wrote $dist/$manifest"
  echo "release: wrote $dist/$sums ($(wc -l <"$dist/$sums" | tr -d ' ') files)"
  echo "release: wrote $dist/$sums.sig (key $GPG_FINGERPRINT)"
}

check_tag() {
  [ "${1:-}" = "v$version" ] || die "the tag '${1:-}' does not name Cargo.toml's version: expected v$version"
}

check_platform() {
  local host
  host=$(host_os_arch)
  [ -z "${OS_ARCH:-}" ] || [ "$OS_ARCH" = "$host" ] ||
    die "OS_ARCH=$OS_ARCH but this machine is $host: the zip would be mislabelled"
}

notes() {
  local changelog="$root/CHANGELOG.md"
  awk -v heading="## $version " '
    index($0, heading) == 1 { found = 1; next }
    found && /^## / { exit }
    found { print }
    END { if (!found) exit 1 }
  ' "$changelog" || die "CHANGELOG.md has no section '## $version (<date>)'"
}

command=${1:-}
case "$command" in
  check) check_key ;;
  package) shift; package "$@" ;;
  sign) sign ;;
  check-tag) shift; check_tag "$@" ;;
  check-platform) check_platform ;;
  notes) notes ;;
  *) die "usage: $0 check | package [BINARY] | sign | check-tag TAG | check-platform | notes" ;;
esac

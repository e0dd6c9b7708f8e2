#!/usr/bin/env python3
"""A static Terraform provider registry generated from release artifacts.

Reads what `make release` writes (dist/: the zips, SHA256SUMS, its .sig and the manifest, for
one or more versions) and writes a folder that any static HTTPS host can serve as a private
registry implementing Terraform's provider registry protocol:

    .well-known/terraform.json                      {"providers.v1": "/v1/providers/"}
    v1/providers/<ns>/<type>/versions               every version, its protocols and platforms
    v1/providers/<ns>/<type>/<v>/download/<os>/<arch>
                                                    filename, shasum, URLs of the zip, SHA256SUMS
                                                    and .sig, and the public signing key
    v1/providers/<ns>/<type>/<v>/<artifact>         the zips, SHA256SUMS and .sig themselves

The download documents point at the artifacts with relative URLs, so the folder can be served
from any host name. `terraform.json` must be served as `application/json` (Terraform checks it);
the other documents may carry any content type. Configurations then use
`source = "<host>/<ns>/<type>"`.

Python 3 standard library only. Usage:

    scripts/registry-site.py --dist dist --out site --public-key key.asc [--namespace todo]
"""

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROVIDER_TYPE = "todo"
BINARY_NAME = f"terraform-provider-{PROVIDER_TYPE}"
ZIP_PATTERN = re.compile(
    rf"^{re.escape(BINARY_NAME)}_(?P<version>[^_]+)_(?P<os>[a-z0-9]+)_(?P<arch>[a-z0-9]+)\.zip$"
)


def fail(message):
    print(f"registry-site: {message}", file=sys.stderr)
    sys.exit(1)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sums(path):
    """SHA256SUMS as {file name: hex digest}."""
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            sums[parts[1]] = parts[0]
    return sums


def key_id_of(public_key):
    """The long key ID of the (first) primary key in an armored public key, via gpg; None if
    gpg is not there (the ID is informational: Terraform checks the signature with the key)."""
    try:
        out = subprocess.run(
            ["gpg", "--batch", "--with-colons", "--show-keys", str(public_key)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    for line in out.splitlines():
        fields = line.split(":")
        if fields[0] == "pub" and len(fields) > 4:
            return fields[4]
    return None


def write_json(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def release_of(dist, version):
    """One version's artifacts in dist, checked against its SHA256SUMS."""
    sums_name = f"{BINARY_NAME}_{version}_SHA256SUMS"
    sums_path = dist / sums_name
    sig_path = dist / f"{sums_name}.sig"
    manifest_path = dist / f"{BINARY_NAME}_{version}_manifest.json"
    for required in (sums_path, sig_path, manifest_path):
        if not required.is_file():
            fail(f"{required} is missing: run `make release` first")
    sums = read_sums(sums_path)
    manifest = json.loads(manifest_path.read_text())
    protocols = manifest.get("metadata", {}).get("protocol_versions") or []
    if not protocols:
        fail(f"{manifest_path} declares no protocol_versions")
    platforms = []
    for name, digest in sorted(sums.items()):
        match = ZIP_PATTERN.match(name)
        if not match:
            continue
        if match["version"] != version:
            fail(f"{sums_name} lists {name}, of another version")
        zip_path = dist / name
        if not zip_path.is_file():
            fail(f"{sums_name} lists {name}, which is not in {dist}")
        if sha256_file(zip_path) != digest:
            fail(f"{zip_path} does not match its line in {sums_name}")
        platforms.append((match["os"], match["arch"], name, digest))
    if not platforms:
        fail(f"{sums_name} lists no {BINARY_NAME}_{version}_<os>_<arch>.zip")
    return {
        "version": version,
        "protocols": protocols,
        "platforms": platforms,
        "files": [sums_path, sig_path] + [dist / p[2] for p in platforms],
        "sums_name": sums_name,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=Path("dist"))
    parser.add_argument("--out", type=Path, default=Path("site"))
    parser.add_argument("--public-key", type=Path, required=True,
                        help="the signing key's ASCII-armored public key (gpg --armor --export FPR)")
    parser.add_argument("--namespace", default="todo")
    args = parser.parse_args()

    if not args.dist.is_dir():
        fail(f"{args.dist} is not a folder: run `make release` first")
    armor = args.public_key.read_text()
    if "BEGIN PGP PUBLIC KEY BLOCK" not in armor:
        fail(f"{args.public_key} is not an ASCII-armored public key")
    key = {"ascii_armor": armor}
    key_id = key_id_of(args.public_key)
    if key_id:
        key["key_id"] = key_id

    versions = sorted(
        {p.name[len(BINARY_NAME) + 1 : -len("_SHA256SUMS")] for p in args.dist.glob(f"{BINARY_NAME}_*_SHA256SUMS")}
    )
    if not versions:
        fail(f"no {BINARY_NAME}_<version>_SHA256SUMS in {args.dist}: run `make release` first")

    out = args.out
    if out.exists():
        shutil.rmtree(out)
    write_json(out / ".well-known" / "terraform.json", {"providers.v1": "/v1/providers/"})
    provider_dir = out / "v1" / "providers" / args.namespace / PROVIDER_TYPE
    listing = []
    for version in versions:
        release = release_of(args.dist, version)
        version_dir = provider_dir / version
        version_dir.mkdir(parents=True, exist_ok=True)
        for f in release["files"]:
            shutil.copyfile(f, version_dir / f.name)
        for os_name, arch, filename, digest in release["platforms"]:
            # Relative to .../<version>/download/<os>/<arch>: two levels up is .../<version>/.
            write_json(version_dir / "download" / os_name / arch, {
                "protocols": release["protocols"],
                "os": os_name,
                "arch": arch,
                "filename": filename,
                "download_url": f"../../{filename}",
                "shasums_url": f"../../{release['sums_name']}",
                "shasums_signature_url": f"../../{release['sums_name']}.sig",
                "shasum": digest,
                "signing_keys": {"gpg_public_keys": [key]},
            })
        listing.append({
            "version": version,
            "protocols": release["protocols"],
            "platforms": [{"os": o, "arch": a} for o, a, _, _ in release["platforms"]],
        })
        print(f"registry-site: {args.namespace}/{PROVIDER_TYPE} {version} for "
              + ", ".join(f"{o}_{a}" for o, a, _, _ in release["platforms"]))
    write_json(provider_dir / "versions", {"versions": listing})
    print(f"registry-site: wrote {out}")


if __name__ == "__main__":
    main()

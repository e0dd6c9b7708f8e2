#!/usr/bin/env python3
"""Publish an image tag to ECR without a Docker engine.

Uploads a generated Docker schema-2 image manifest with ECR PutImage, which is what makes a tag
exist in the registry (the layers are not uploaded: this is for emulators and demos). With
Docker, publish the usual way instead:

    docker build -t todo-service .
    docker tag todo-service <repository_url>:<tag>
    docker push <repository_url>:<tag>

Usage: publish-image.py REPOSITORY TAG [SEED]
Prints the image digest. Endpoint, region and credentials come from the AWS environment
(AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, ...), as for the provider.
"""
import hashlib
import json
import sys

import boto3


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest(seed: str) -> bytes:
    document = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1024,
            "digest": sha256(b"config:" + seed.encode()),
        },
        "layers": [
            {
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": 4096,
                "digest": sha256(b"layer:" + seed.encode()),
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    repository, tag = sys.argv[1], sys.argv[2]
    seed = sys.argv[3] if len(sys.argv) == 4 else tag
    body = manifest(seed)
    digest = sha256(body)
    ecr = boto3.client("ecr")
    ecr.put_image(
        repositoryName=repository,
        imageManifest=body.decode(),
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
        imageTag=tag,
        imageDigest=digest,
    )
    print(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())

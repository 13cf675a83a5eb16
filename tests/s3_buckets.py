"""S3 buckets on moto's S3 HTTP server (tests/servers.py), and pointing storage at one."""

import uuid
from dataclasses import dataclass

import boto3

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


@dataclass
class S3Bucket:
    client: object
    name: str

    def object_keys(self, prefix: str = "") -> set[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return {item["Key"] for item in listing.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def open_uploads(self) -> list[dict]:
        """The multipart uploads S3 holds open in the bucket (neither completed nor aborted)."""
        return self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])

    def abort_open_uploads(self) -> None:
        for pending in self.open_uploads():
            self.client.abort_multipart_upload(
                Bucket=self.name, Key=pending["Key"], UploadId=pending["UploadId"]
            )


def new_bucket(endpoint: str, prefix: str = "reelhouse") -> tuple[S3Bucket, dict[str, str]]:
    """A fresh bucket on the S3 server at `endpoint`, and the environment that points
    Reelhouse's storage at it."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    env = {
        "AWS_STORAGE_BUCKET_NAME": name,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_S3_REGION_NAME": REGION,
    }
    client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
    client.create_bucket(Bucket=name)
    return S3Bucket(client=client, name=name), env


def use_s3_storage(settings, env: dict[str, str]) -> None:
    """Switch this process's default storage to the bucket `env` names."""
    for setting, value in env.items():
        setattr(settings, setting, value)
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_QUERYSTRING_EXPIRE = 600
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_FILE_OVERWRITE = True
    # Last: changing STORAGES rebuilds default_storage with the AWS settings above.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }

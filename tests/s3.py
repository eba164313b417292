"""A real S3-compatible server inside the test process (moto's ThreadedMotoServer), and
media storage pointed at a fresh bucket of it (fixtures, imported by tests/conftest.py)."""

import os
import uuid
from dataclasses import dataclass

import pytest

# The bucket's own CORS configuration must decide, as on real S3: moto otherwise
# answers every origin itself (flask-cors). Read by moto when it is imported.
os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "true"

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@dataclass
class S3:
    endpoint: str
    bucket: str

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["access_key"],
            aws_secret_access_key=CREDENTIALS["secret_key"],
            region_name=CREDENTIALS["region_name"],
        )

    def environment(self) -> dict[str, str]:
        """For app processes the test starts (the worker): the same bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"],
            "AWS_S3_REGION_NAME": CREDENTIALS["region_name"],
        }


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_storage(s3_server, settings) -> S3:
    """Media storage in a new, empty bucket (with the CORS rule docs/organisers.md asks
    for, for the origins of the test servers)."""
    s3 = S3(endpoint=s3_server, bucket=f"photos-{uuid.uuid4().hex[:12]}")
    client = s3.client()
    client.create_bucket(Bucket=s3.bucket)
    client.put_bucket_cors(
        Bucket=s3.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["http://localhost:*", "http://127.0.0.1:*"],
                    "AllowedMethods": ["PUT"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": s3.bucket,
                "endpoint_url": s3.endpoint,
                **CREDENTIALS,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
                "signature_version": "s3v4",  # as config/settings.py
            },
        },
    }
    return s3

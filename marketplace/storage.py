"""Content-addressed blob storage (samples, evidence, data releases): files under MARKETPLACE_FILES_DIR, or objects
in an S3-compatible bucket when MARKETPLACE_S3_BUCKET is set; rows in stored_files name each blob once.

Either way a blob is durable before the row naming it can commit (fsync and rename; S3 answers PutObject only once
the object is stored), so a committed row never points at nothing. The reverse can happen: a blob stored by a use
case that then rolls back stays behind with no row. Such an orphan is harmless (nothing refers to it, and the next
upload of the same bytes reuses it) and could be swept by age.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, FlexibleChecksumError
from flask import current_app
from sqlalchemy import BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow

CHUNK = 1 << 20


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StorageError(RuntimeError):
    """The blob store failed or holds something other than what a row says (for the operator: a 500 and a log)."""


class BlobMissing(StorageError):
    """A row names a blob the store does not have."""


class BlobCorrupt(StorageError):
    """The store's bytes do not hash to the digest the row records."""


def _layout(digest: str) -> str:
    # Two levels of fan-out keep directories small on disk; S3 keys use the same path so the layouts match.
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


class LocalFiles:
    """Blobs as files under a directory: written to a temp file, fsynced and renamed into place."""

    def __init__(self, root: str):
        self.root = Path(root)

    def where(self, digest: str) -> str:
        return str(self.root / _layout(digest))

    def has(self, digest: str, size: int) -> bool:
        return (self.root / _layout(digest)).exists()

    def write(self, digest: str, data: bytes) -> None:
        path = self.root / _layout(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)

    def chunks(self, digest: str) -> Iterator[bytes]:
        path = self.root / _layout(digest)
        if not path.is_file():
            raise BlobMissing(f"blob {digest} is missing: no file {path}")
        return self._read(path)

    @staticmethod
    def _read(path: Path) -> Iterator[bytes]:
        with path.open("rb") as handle:
            yield from iter(lambda: handle.read(CHUNK), b"")

    def describe(self) -> dict:
        return {"backend": "local", "path": str(self.root.resolve())}


class S3Objects:
    """Blobs as objects of one bucket, keyed by the same sha256 path as on disk."""

    def __init__(self, client, bucket: str):
        self.client, self.bucket = client, bucket

    def where(self, digest: str) -> str:
        return f"s3://{self.bucket}/{_layout(digest)}"

    def has(self, digest: str, size: int) -> bool:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_layout(digest))
        except ClientError as exc:
            # A missing key is a 404 only when the credentials may list the bucket (s3:ListBucket); without that
            # permission S3 answers 403 for it, which is reported rather than guessed at.
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"cannot check {self.where(digest)}: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot check {self.where(digest)}: {exc}") from exc
        # Same key, other size: a damaged object; writing it again repairs it.
        return head["ContentLength"] == size

    def write(self, digest: str, data: bytes) -> None:
        checksum = base64.b64encode(bytes.fromhex(digest)).decode()
        try:
            # S3 (and MinIO) recompute the SHA-256 of what arrived and refuse the upload when it differs, so bytes
            # damaged on the way are never stored; the checksum is also kept with the object for later reads.
            self.client.put_object(Bucket=self.bucket, Key=_layout(digest), Body=data,
                                   ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot store blob {digest} at {self.where(digest)}: {_code(exc)}") from exc

    def chunks(self, digest: str) -> Iterator[bytes]:
        try:
            # ChecksumMode asks for the stored checksum, which botocore then checks against the body it receives.
            body = self.client.get_object(Bucket=self.bucket, Key=_layout(digest), ChecksumMode="ENABLED")["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise BlobMissing(f"blob {digest} is missing: no object {self.where(digest)}") from None
            raise StorageError(f"cannot read {self.where(digest)}: {_code(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {self.where(digest)}: {exc}") from exc
        return self._read(digest, body)

    def _read(self, digest: str, body) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK)
        except FlexibleChecksumError as exc:
            raise BlobCorrupt(f"blob {digest} at {self.where(digest)} arrived damaged: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {self.where(digest)}: {exc}") from exc
        finally:
            body.close()

    def describe(self) -> dict:
        try:
            versioning = self.client.get_bucket_versioning(Bucket=self.bucket).get("Status", "Disabled")
        except (BotoCoreError, ClientError) as exc:
            versioning = f"unknown ({_code(exc)})"
        return {"backend": "s3", "bucket": self.bucket, "endpoint": self.client.meta.endpoint_url,
                "versioning": versioning}


def _code(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code')} {error.get('Message', '')}".strip() if error else str(exc)


_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def _s3_client(endpoint_url: str | None, region: str | None):
    """One boto3 client per process (and endpoint): clients are thread-safe and pool connections; sessions are
    not thread-safe, so each client gets a session of its own, made under the lock. Credentials come from the
    standard AWS chain (environment, shared files, instance or container role), never from the app's config."""
    key = (os.getpid(), endpoint_url, region)  # the pid: a client's connection pool must not cross a fork
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                config = Config(connect_timeout=5, read_timeout=60,
                                # "standard" retries throttling and 5xx with backoff, and counts attempts in total.
                                retries={"max_attempts": 5, "mode": "standard"},
                                max_pool_connections=32)
                client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region,
                                                        config=config)
                _clients[key] = client
    return client


def backend() -> LocalFiles | S3Objects:
    """The store the app is configured with: the bucket when MARKETPLACE_S3_BUCKET is set, else the files dir."""
    config = current_app.config
    bucket = config.get("MARKETPLACE_S3_BUCKET")
    if bucket:
        # str(): MARKETPLACE_* values are JSON-decoded from the environment, and a bucket may be named by digits.
        return S3Objects(_s3_client(config.get("MARKETPLACE_S3_ENDPOINT_URL") or None,
                                    config.get("MARKETPLACE_S3_REGION") or None), str(bucket))
    return LocalFiles(config["MARKETPLACE_FILES_DIR"])


def describe() -> dict:
    """Where blobs live, for operators (`flask backup`): a directory, or a bucket with its versioning status."""
    return backend().describe()


def put(data: bytes, media_type: str) -> StoredFile:
    """Store the blob durably before its row can commit; same content, same blob and same row."""
    digest = hashlib.sha256(data).hexdigest()
    store = backend()
    if not store.has(digest, len(data)):
        store.write(digest, data)
    existing = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == digest))
    if existing is not None:
        return existing
    stored = StoredFile(sha256=digest, size=len(data), media_type=media_type)
    db.session.add(stored)
    return stored


def read(stored: StoredFile) -> bytes:
    """The blob's bytes, checked against its digest: a missing or altered blob raises, naming the digest."""
    return b"".join(stream(stored))


def stream(stored: StoredFile) -> Iterator[bytes]:
    """The blob in chunks of about 1 MiB, for large downloads. A missing blob raises here; one whose bytes do not
    hash to its digest raises only after the last chunk, when a streamed response has mostly gone out (use read()
    where bad bytes must never leave). Iterate it to the end or close it, so the file or connection is released."""
    store = backend()
    chunks = store.chunks(stored.sha256)
    return _verified(stored.sha256, chunks, store.where(stored.sha256))


def _verified(digest: str, chunks: Iterator[bytes], where: str) -> Iterator[bytes]:
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk
    if hasher.hexdigest() != digest:
        raise BlobCorrupt(f"blob {digest} is corrupt: {where} holds content hashing to {hasher.hexdigest()}")

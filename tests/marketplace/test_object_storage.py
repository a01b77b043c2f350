"""Blobs in S3-compatible object storage: moto's S3 served over real HTTP (server mode) on a free port, the app
configured through MARKETPLACE_S3_* and the standard AWS credential variables, each test with a bucket of its own.
Round trip, one object per content, missing and corrupt objects, the rolled-back upload, and the real flows (a
sample scanned, a release downloaded, `flask backup`) — with nothing written under MARKETPLACE_FILES_DIR."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import func, select

from marketplace import storage
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.products.models import ScanJob
from tests.builders import SAMPLE_CSV, bearer_for, draft
from tests.fixtures import fresh_app
from tests.marketplace.delivery.builders import KWH_RELEASE_CSV, PURPOSE, active_contract, kwh_product

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-access-key", "AWS_SECRET_ACCESS_KEY": "test-secret-key-objstore"}


@dataclass
class S3Server:
    endpoint: str
    admin: object  # a boto3 client of the test's own, to look into buckets past the app


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 as a real HTTP server; credentials reach the app the standard way, through the environment."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        # No profile or config file of whoever runs the tests may change where the app's client goes.
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        patch.delenv("AWS_PROFILE", raising=False)
        admin = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=REGION)
        yield S3Server(endpoint, admin)
    server.stop()


@pytest.fixture
def bucket(s3_server):
    name = f"exchange-{uuid.uuid4().hex[:12]}"
    s3_server.admin.create_bucket(Bucket=name)
    return name


@pytest.fixture
def app(tmp_path, _postgres_schema, s3_server, bucket, monkeypatch):
    """The app with S3 configured the way an operator does it: MARKETPLACE_S3_* in the environment."""
    monkeypatch.setenv("MARKETPLACE_S3_BUCKET", bucket)
    monkeypatch.setenv("MARKETPLACE_S3_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("MARKETPLACE_S3_REGION", REGION)
    with fresh_app(tmp_path) as app:
        yield app


@pytest.fixture
def files_dir(app):
    return Path(app.config["MARKETPLACE_FILES_DIR"])


@pytest.fixture
def s3_calls(app):
    """The S3 operations the app's own client sends, as (operation, key) in order."""
    client = storage.backend().client
    calls = []

    def record(params, model, **_):
        calls.append((model.name, params.get("Key")))

    client.meta.events.register("provide-client-params.s3", record, unique_id="objstore-test-calls")
    yield calls
    client.meta.events.unregister("provide-client-params.s3", unique_id="objstore-test-calls")


def _key(digest: str) -> str:
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


def _keys(s3_server, bucket) -> list[str]:
    listing = s3_server.admin.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _nothing_on_disk(files_dir: Path) -> None:
    assert not files_dir.exists() or not any(files_dir.rglob("*")), list(files_dir.rglob("*"))


def _put(data: bytes) -> storage.StoredFile:
    with unit_of_work():
        stored = storage.put(data, "application/octet-stream")
    return stored


def test_the_bucket_is_chosen_by_configuration(app, bucket, s3_server):
    store = storage.backend()
    assert isinstance(store, storage.S3Objects) and store.bucket == bucket
    assert store.client.meta.endpoint_url == s3_server.endpoint
    # The credentials came from the AWS chain: the app's configuration never holds them.
    assert not any(secret in str(value) for value in app.config.values() for secret in CREDENTIALS.values())


def test_one_client_per_process_shared_by_threads(app, s3_server):
    seen, barrier = [], threading.Barrier(8)

    def fetch():
        barrier.wait()  # all eight ask at once, so a missing lock would build several
        seen.append(storage._s3_client(s3_server.endpoint + "/", REGION))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1
    config = storage.backend().client.meta.config
    assert (config.connect_timeout, config.read_timeout, config.retries["mode"]) == (5, 60, "standard")


def test_put_and_read_round_trip(app, bucket, s3_server, files_dir, s3_calls):
    data = os.urandom(2 * storage.CHUNK + 12345)  # more than two chunks, so the stream really streams
    digest = hashlib.sha256(data).hexdigest()
    stored = _put(data)
    assert (stored.sha256, stored.size) == (digest, len(data))
    assert _keys(s3_server, bucket) == [_key(digest)]
    assert s3_server.admin.get_object(Bucket=bucket, Key=_key(digest))["Body"].read() == data
    assert storage.read(stored) == data
    chunks = list(storage.stream(stored))
    assert len(chunks) == 3 and b"".join(chunks) == data
    # The upload carried the content's own SHA-256, the checksum S3 and MinIO verify before storing.
    head = s3_server.admin.head_object(Bucket=bucket, Key=_key(digest), ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(digest)).decode()
    assert [op for op, _ in s3_calls] == ["HeadObject", "PutObject", "GetObject", "GetObject"]
    _nothing_on_disk(files_dir)


def test_same_content_is_one_object_and_one_row(app, bucket, s3_server, s3_calls):
    first = _put(b"month,kwh\n2026-01,1\n")
    second = _put(b"month,kwh\n2026-01,1\n")
    assert first.id == second.id
    assert db.session.scalar(select(func.count()).select_from(storage.StoredFile)) == 1
    assert len(_keys(s3_server, bucket)) == 1
    # The second put found the object and sent no second upload.
    assert [op for op, _ in s3_calls] == ["HeadObject", "PutObject", "HeadObject"]


def test_a_missing_object_is_an_error_naming_the_digest(app, bucket, s3_server):
    stored = _put(b"soon gone")
    s3_server.admin.delete_object(Bucket=bucket, Key=_key(stored.sha256))
    with pytest.raises(storage.BlobMissing, match=stored.sha256) as raised:
        storage.read(stored)
    assert f"s3://{bucket}/" in str(raised.value)


def test_a_corrupt_object_is_refused_and_a_new_upload_repairs_a_truncated_one(app, bucket, s3_server):
    data = b"district,kwh\n" + b"Pengjiang,1000\n" * 50
    stored = _put(data)
    key = _key(stored.sha256)
    # Same length, one byte changed: what bit rot or a bad copy would leave.
    s3_server.admin.put_object(Bucket=bucket, Key=key, Body=data[:-2] + b"9\n")
    with pytest.raises(storage.BlobCorrupt, match=stored.sha256):
        storage.read(stored)
    with pytest.raises(storage.BlobCorrupt, match=stored.sha256):
        list(storage.stream(stored))
    # Other bytes under the original checksum, as a response damaged on the way would arrive: botocore checks the
    # body against the checksum S3 sends (moto stores the checksum it is given without checking it, which allows
    # this); the read is refused as damaged in transit.
    checksum = base64.b64encode(bytes.fromhex(stored.sha256)).decode()
    s3_server.admin.put_object(Bucket=bucket, Key=key, Body=data[:-2] + b"9\n", ChecksumAlgorithm="SHA256",
                               ChecksumSHA256=checksum)
    with pytest.raises(storage.BlobCorrupt, match=f"{stored.sha256} at s3://{bucket}/{key} arrived damaged"):
        storage.read(stored)
    # A truncated object has the wrong size, so uploading the same content again writes it afresh.
    s3_server.admin.put_object(Bucket=bucket, Key=key, Body=data[:10])
    assert _put(data).id == stored.id
    assert storage.read(stored) == data


def test_a_rolled_back_upload_leaves_a_harmless_orphan(app, bucket, s3_server, s3_calls):
    data = b"evidence of a use case that failed after storing its file"
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(RuntimeError, match="after the blob"), unit_of_work():
        storage.put(data, "text/plain")
        raise RuntimeError("the use case fails after the blob was stored")
    # The object stays (no row names it); the row was rolled back with the use case.
    assert _keys(s3_server, bucket) == [_key(digest)]
    assert db.session.scalar(select(func.count()).select_from(storage.StoredFile)) == 0
    # The next upload of the same bytes adopts the orphan instead of storing it twice.
    stored = _put(data)
    assert storage.read(stored) == data
    assert [op for op, _ in s3_calls] == ["HeadObject", "PutObject", "HeadObject", "GetObject"]


def test_a_sample_upload_is_stored_in_the_bucket_and_scanned_from_it(client, world, bucket, s3_server, files_dir,
                                                                      s3_calls):
    product = draft(world.broker_a)
    response = client.put(f"/api/v1/products/{product.id}/sample?filename=kwh.csv", data=SAMPLE_CSV.encode(),
                          headers={**bearer_for(client, world.broker_a), "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    job = db.session.scalars(select(ScanJob)).one()
    assert job.state == "succeeded" and job.rows_read == SAMPLE_CSV.count("\n") - 1
    key = _key(hashlib.sha256(SAMPLE_CSV.encode()).hexdigest())
    assert key in _keys(s3_server, bucket)
    assert s3_server.admin.get_object(Bucket=bucket, Key=key)["Body"].read() == SAMPLE_CSV.encode()
    # The scan job read the sample back from the bucket.
    assert ("GetObject", key) in s3_calls
    db.session.expire_all()
    assert product.latest.sample_file.sha256 == job.file.sha256 and product.latest.sample_rows == job.rows_read
    _nothing_on_disk(files_dir)


def test_a_release_is_published_to_the_bucket_and_downloaded_from_it(client, world, bucket, s3_server, files_dir,
                                                                       s3_calls):
    product = kwh_product(world)
    contract = active_contract(world, product)
    published = client.post(f"/api/v1/products/{product.id}/releases", content_type="multipart/form-data",
                            data={"notes": "Q1", "files": [(io.BytesIO(KWH_RELEASE_CSV.encode()), "q1.csv")]},
                            headers=bearer_for(client, world.broker_a, scopes=["delivery"]))
    assert published.status_code == 201, published.json
    file_id = published.json["files"][0]["id"]
    key = _key(hashlib.sha256(KWH_RELEASE_CSV.encode()).hexdigest())
    assert key in _keys(s3_server, bucket)

    download = client.get(f"/api/v1/contracts/{contract.id}/files/{file_id}", query_string={"purpose": PURPOSE},
                          headers=bearer_for(client, world.buyer))
    assert download.status_code == 200
    assert download.get_data() == KWH_RELEASE_CSV.encode()
    assert s3_calls[-1] == ("GetObject", key)
    _nothing_on_disk(files_dir)


def _backup(app, tmp_path) -> dict:
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "copy.bak")])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output.strip().splitlines()[-1])


def test_backup_names_the_bucket_instead_of_copying_files(app, world, bucket, s3_server, files_dir, tmp_path):
    draft(world.broker_a)
    made = _backup(app, tmp_path)
    assert made["bytes"] > 0
    files = made["files"]
    assert files["backend"] == "s3" and files["bucket"] == bucket and files["copied"] is False
    assert files["endpoint"] == s3_server.endpoint
    assert files["versioning"] == "Disabled" and "versioning is not enabled" in files["note"]

    s3_server.admin.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    files = _backup(app, tmp_path)["files"]
    assert files["versioning"] == "Enabled"
    assert files["note"] == "objects stay in the bucket: its versioning or replication is their backup"
    _nothing_on_disk(files_dir)


def test_backup_with_local_files_names_the_directory(tmp_path, _postgres_schema, monkeypatch):
    monkeypatch.delenv("MARKETPLACE_S3_BUCKET", raising=False)
    with fresh_app(tmp_path) as local:
        assert isinstance(storage.backend(), storage.LocalFiles)
        stored = _put(b"on disk")
        path = Path(local.config["MARKETPLACE_FILES_DIR"]) / _key(stored.sha256)
        assert path.read_bytes() == b"on disk"
        files = _backup(local, tmp_path)["files"]
        assert files == {"backend": "local", "path": str(Path(local.config["MARKETPLACE_FILES_DIR"]).resolve()),
                         "copied": False, "note": "copy this directory after the database backup"}
        path.write_bytes(b"on disc")
        with pytest.raises(storage.BlobCorrupt, match=stored.sha256):
            storage.read(stored)
        path.unlink()
        with pytest.raises(storage.BlobMissing, match=stored.sha256):
            storage.read(stored)


def test_evidence_is_stored_in_the_bucket_and_read_back(app, world, bucket, s3_server, files_dir):
    from marketplace.products import services as products

    product = draft(world.broker_a)
    evidence = products.add_evidence(product.id, item_code="SRC-02", data=b"%PDF-1.4 commitment", filename="c.pdf",
                                     note="", actor=world.broker_a)
    assert _key(evidence.file.sha256) in _keys(s3_server, bucket)
    _, data = products.evidence_file(evidence.id, actor=world.broker_a)
    assert data == b"%PDF-1.4 commitment"
    _nothing_on_disk(files_dir)

"""Sample scans as jobs: inline without Redis, on RQ workers with it; the draft changes only on success."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from compliance.identifiers import make_resident_id
from marketplace import jobs
from marketplace.extensions import db
from marketplace.products import scanning, services
from marketplace.products.models import ScanJob
from tests.builders import SAMPLE_CSV, bearer_for, draft

PEOPLE_CSV = "name,id_no,kwh\n" + "".join(
    f"name{i},{make_resident_id(f'44070319850101{i:03d}')},{i}\n" for i in range(20)
)
PEOPLE_FIELDS = [
    {"name": "name", "type": "string", "description": "", "pi": True, "sensitive": False},
    {"name": "id_no", "type": "string", "description": "", "pi": True, "sensitive": True},
    {"name": "kwh", "type": "integer", "description": "", "pi": False, "sensitive": False},
]


def test_inline_scan_attaches_the_sample_with_a_findings_report(client, world):
    product = draft(world.broker_a, field_dictionary=PEOPLE_FIELDS, holds_pi=True)
    response = client.put(f"/api/v1/products/{product.id}/sample?filename=people.csv", data=PEOPLE_CSV.encode(),
                          headers={**bearer_for(client, world.broker_a), "Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    job = db.session.scalars(select(ScanJob)).one()
    assert job.state == "succeeded" and job.progress == 1.0 and job.rows_read == 20
    summary = {c["column"]: c["types"] for c in product.latest.scan_report["column_summary"]}
    assert summary["id_no"]["cn_resident_id"]["rows"] == 20
    assert summary["id_no"]["cn_resident_id"]["share"] == 1.0
    examples = summary["id_no"]["cn_resident_id"]["examples"]
    assert examples and all("*" in e for e in examples)
    assert all(make_resident_id(f"44070319850101{i:03d}") not in str(product.latest.scan_report)
               for i in range(20)), "only masked values are stored"


def test_the_scan_job_is_readable_by_the_owner_only(client, world):
    product = draft(world.broker_a)
    job = services.upload_sample(product.id, data=SAMPLE_CSV.encode(), filename="s.csv", actor=world.broker_a)
    own = client.get(f"/api/v1/products/scans/{job.id}", headers=bearer_for(client, world.broker_a))
    assert own.status_code == 200 and own.json["state"] == "succeeded"
    assert {c["column"] for c in own.json["findings"]} == set()  # energy data: no personal information
    other = client.get(f"/api/v1/products/scans/{job.id}", headers=bearer_for(client, world.broker_b))
    assert other.status_code == 403


def test_a_draft_submitted_while_its_scan_waits_keeps_its_state(app, world):
    from marketplace.registration import services as registration
    from tests.builders import ready_draft

    product = ready_draft(world.broker_a)
    app.config["REDIS_URL"] = None
    # Queue the job by hand (as a worker would find it), then submit before it runs.
    job = ScanJob(version=product.latest, file=product.latest.sample_file, filename="late.csv",
                  bytes_total=10, requested_by_id=world.broker_a.id)
    db.session.add(job)
    db.session.commit()
    registration.submit_product(product.id, actor=world.broker_a)
    jobs.run("scan_sample", job.id)
    db.session.expire_all()
    assert job.state == "failed" and "submitted" in job.error["en"]
    assert product.latest.state == "submitted" and product.latest.sample_filename == "sample.csv"


def test_progress_is_written_while_the_scan_runs(world):
    product = draft(world.broker_a)
    job = services.upload_sample(product.id, data=SAMPLE_CSV.encode(), filename="s.csv", actor=world.broker_a)
    writer = scanning._progress_writer(job.id, every_seconds=0)
    writer(7, 10)
    db.session.expire_all()
    assert job.bytes_read == 7


redis_url = os.environ.get("REDIS_URL")


@pytest.mark.skipif(not redis_url, reason="needs REDIS_URL (CI's PostgreSQL run sets it)")
def test_with_redis_the_scan_runs_on_an_rq_worker(app, client, world):
    from redis import Redis
    from rq import Queue

    app.config["REDIS_URL"] = redis_url
    Queue(jobs.QUEUE_NAME, connection=Redis.from_url(redis_url)).empty()
    product = draft(world.broker_a, field_dictionary=PEOPLE_FIELDS, holds_pi=True)
    headers = bearer_for(client, world.broker_a)
    response = client.put(f"/api/v1/products/{product.id}/sample?filename=people.csv", data=PEOPLE_CSV.encode(),
                          headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 202, response.json
    assert response.json["state"] == "queued"
    location = response.headers["Location"]
    assert client.get(location, headers=headers).json["state"] == "queued"
    assert product.latest.sample_file_id is None, "nothing attached before the scan"

    jobs.work(app, burst=True, fork=False)

    finished = client.get(location, headers=headers).json
    assert finished["state"] == "succeeded" and finished["progress"] == 1.0
    assert {c["column"] for c in finished["findings"]} == {"id_no"}
    db.session.expire_all()
    assert product.latest.sample_filename == "people.csv"
    assert db.session.scalar(select(func.count()).select_from(ScanJob)) == 1


def _sign_in(client, email):
    import re

    from tests.builders import PASSWORD

    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
    client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})


def test_the_product_page_follows_a_running_scan_then_shows_the_findings(client, world):
    product = draft(world.broker_a, field_dictionary=PEOPLE_FIELDS, holds_pi=True)
    waiting = ScanJob(version=product.latest, file=_stored(PEOPLE_CSV), filename="people.csv",
                      bytes_total=400, bytes_read=100, requested_by_id=world.broker_a.id)
    db.session.add(waiting)
    db.session.commit()
    _sign_in(client, world.broker_a.email)
    page = client.get(f"/products/{product.id}?lang=en").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress max="100" value="25">' in page

    jobs.run("scan_sample", waiting.id)
    page = client.get(f"/products/{product.id}?lang=en").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    assert "<code>id_no</code>" in page and "100.0%" in page


def test_the_review_page_shows_the_same_findings(client, world):
    from marketplace.registration import services as registration
    from tests.builders import latest_review

    product = draft(world.broker_a, field_dictionary=PEOPLE_FIELDS, holds_pi=True)
    services.upload_sample(product.id, data=PEOPLE_CSV.encode(), filename="people.csv", actor=world.broker_a)
    services.add_evidence(product.id, item_code="SRC-02", data=b"commitment", filename="c.txt", note="",
                          actor=world.broker_a)
    registration.submit_product(product.id, actor=world.broker_a)
    _sign_in(client, world.reviewer.email)
    page = client.get(f"/reviews/{latest_review(product).id}?lang=en").get_data(as_text=True)
    assert 'id="findings"' in page and "<code>id_no</code>" in page


def _stored(text):
    from marketplace import storage

    stored = storage.put(text.encode(), "text/csv")
    db.session.flush()
    return stored


def test_an_unexpected_failure_fails_the_job_instead_of_leaving_it_running(world, monkeypatch):
    product = draft(world.broker_a)
    job = services.upload_sample(product.id, data=SAMPLE_CSV.encode(), filename="s.csv", actor=world.broker_a)
    second = ScanJob(version=product.latest, file=job.file, filename="again.csv", bytes_total=10,
                     requested_by_id=world.broker_a.id)
    db.session.add(second)
    db.session.commit()

    def broken(_stored):
        raise OSError("disk went away")

    monkeypatch.setattr(scanning.storage, "read", broken)
    jobs.run("scan_sample", second.id)
    db.session.expire_all()
    assert second.state == "failed" and "logged" in second.error["en"]

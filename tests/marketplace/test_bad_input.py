"""Bad input gets a clear 4xx naming the problem, and leaves the database as it was."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from tests.builders import DRAFT, SAMPLE_CSV, bearer_for, draft, ready_draft


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


@pytest.fixture
def broker(client, world):
    return bearer_for(client, world.broker_a)


def test_malformed_json_is_a_400_problem(client, broker):
    before = _audit_count()
    response = client.post("/api/v1/products", data="{not json", headers={**broker, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert _audit_count() == before


@pytest.mark.parametrize(("field", "value"), [
    ("name", 42), ("sector", "astrology"), ("scenarios", "credit_support"), ("holds_pi", "maybe"),
    ("name", "x" * 201), ("time_range_start", "2026/01/01"), ("licence_term_months", -1),
    ("field_dictionary", [{"name": "a", "type": "blob"}]),
])
def test_wrong_types_name_the_field(client, broker, field, value):
    before = _audit_count()
    response = client.post("/api/v1/products", json={**DRAFT, field: value}, headers=broker)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"]
    assert field in response.json["detail"]
    assert _audit_count() == before


def test_unknown_fields_are_refused(client, broker):
    response = client.post("/api/v1/products", json={**DRAFT, "owner_id": 1}, headers=broker)
    assert response.status_code == 422
    assert "owner_id" in response.json["errors"]


def _truncated_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook, buffer = Workbook(), io.BytesIO()
    workbook.active.append(["month", "district", "kwh"])
    for i in range(200):
        workbook.active.append([f"2026-01-{i % 28 + 1:02d}", "蓬江", i])
    workbook.save(buffer)
    return buffer.getvalue()[: len(buffer.getvalue()) // 2]


@pytest.mark.parametrize(("payload", "problem"), [
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "png image"),
    (b"month,district,kwh\n2026-01-01,a,1\n2026-02-01,b\n", "row"),
    (b"", "empty"),
    (b"\xff\xfe\x00garbage\x00\x01", ""),
    (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8, ""),
    ("month,district,kwh\n2026-01-01,蓬江,1\n".encode("utf-16"), ""),
    (b"month,district,kwh\n2026-01-01,\xb0\xa1\xff\xfe,1\n", ""),
    (_truncated_xlsx(), "xlsx"),
    (b"month,district,kwh\n" + b"9" * (10 * 1024 * 1024 - 100), "line"),  # just under the size limit
], ids=["png", "ragged", "empty", "garbage", "elf", "utf16", "bad-bytes", "truncated-xlsx", "10mb-line"])
def test_disguised_or_broken_samples_leave_the_draft_unchanged(app, client, world, broker, payload, problem):
    product = ready_draft(world.broker_a)
    version = product.latest
    before = (version.sample_file_id, version.lock_version, _audit_count())
    response = client.put(f"/api/v1/products/{product.id}/sample?filename=sample.csv", data=payload,
                          headers={**broker, "Content-Type": "text/csv"})
    assert response.status_code == 422, response.json
    assert "file" in response.json["errors"]
    assert problem in response.json["detail"].lower()
    db.session.expire_all()
    assert (version.sample_file_id, version.lock_version, _audit_count()) == before


def test_oversized_upload_is_413(app, client, world, broker):
    product = draft(world.broker_a)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.put(f"/api/v1/products/{product.id}/sample", data=b"a,b\n" + b"1,2\n" * 1000,
                          headers={**broker, "Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_evidence_of_an_unknown_type_is_refused(client, world, broker):
    product = draft(world.broker_a)
    response = client.post(f"/api/v1/products/{product.id}/evidence", headers=broker,
                           data={"item_code": "LEG-01", "file": (io.BytesIO(b"\x00\x01\x02\xff" * 10), "x.pdf")})
    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_submitting_an_incomplete_draft_lists_every_blocking_failure(client, world, broker):
    product = draft(world.broker_a, security_level="core")
    before = _audit_count()
    response = client.post(f"/api/v1/products/{product.id}/submit", headers=broker)
    assert response.status_code == 422
    assert {"CLS-02", "SRC-02", "PI-01"} <= set(response.json["errors"])
    assert "core" in response.json["errors"]["CLS-02"][0].lower()
    db.session.expire_all()
    assert product.latest.state == "draft"
    assert _audit_count() == before


def test_unmarked_identity_numbers_block_submission(client, world, broker):
    from compliance.identifiers import make_resident_id

    product = draft(world.broker_a, field_dictionary=[
        {"name": "holder", "type": "string", "description": "", "pi": False, "sensitive": False},
        {"name": "kwh", "type": "integer", "description": "", "pi": False, "sensitive": False}])
    rows = "".join(f"{make_resident_id(f'44070319800101{i:03d}')},{i}\n" for i in range(10))
    client.put(f"/api/v1/products/{product.id}/sample", data=("holder,kwh\n" + rows).encode(),
               headers={**broker, "Content-Type": "text/csv"})
    client.post(f"/api/v1/products/{product.id}/evidence", headers=broker,
                data={"item_code": "SRC-02", "file": (io.BytesIO(b"commitment"), "c.txt")})
    response = client.post(f"/api/v1/products/{product.id}/submit", headers=broker)
    assert response.status_code == 422
    assert "holder" in " ".join(response.json["errors"].get("PI-01", []) + response.json["errors"].get("USE-02", []))


def test_stale_lock_version_is_a_409(client, world, broker):
    product = draft(world.broker_a)
    stale = product.latest.lock_version
    assert client.patch(f"/api/v1/products/{product.id}", json={"description": "first", "lock_version": stale},
                        headers=broker).status_code == 200
    response = client.patch(f"/api/v1/products/{product.id}", json={"description": "second", "lock_version": stale},
                            headers=broker)
    assert response.status_code == 409
    db.session.expire_all()
    assert product.latest.description == "first"


def test_editing_a_registered_product_creates_a_new_draft_version(client, world, broker):
    from tests.builders import listed

    product = listed(world.broker_a, world.reviewer)
    registered = product.latest
    assert registered.state == "registered"
    response = client.patch(f"/api/v1/products/{product.id}", json={"description": "v2"}, headers=broker)
    assert response.status_code == 200
    assert [v["state"] for v in response.json["versions"]] == ["registered", "draft"]
    db.session.expire_all()
    assert registered.description == DRAFT["description"]
    assert client.get(f"/api/v1/listings/{product.id}").json["description"] == DRAFT["description"]


def test_sample_round_trip_keeps_only_masked_pi(client, world, broker):
    product = ready_draft(world.broker_a)
    preview = client.get(f"/api/v1/products/{product.id}", headers=broker).json["latest"]["masked_preview"]
    assert preview["columns"] == ["month", "district", "kwh"]
    assert len(preview["rows"]) == 5
    assert SAMPLE_CSV.splitlines()[1].split(",")[0] == preview["rows"][0][0]

"""Certificates end to end: signed, logged, verifiable offline; every status change is one log leaf."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from compliance import merkle
from marketplace.catalog import services as catalog
from marketplace.extensions import db
from marketplace.registration import certificates
from marketplace.registration import services as registration
from marketplace.registration.transparency import LogLeaf, audit_log
from tests.builders import OFFERS, approved, bearer_for


def _leaves() -> int:
    return db.session.scalar(select(func.count()).select_from(LogLeaf))


def _register(world, **overrides):
    product = approved(world.broker_a, world.reviewer, **overrides)
    issued = registration.register_due_products(now=product.latest.submitted_at + timedelta(days=4))["issued"]
    db.session.expire_all()
    return product, issued[-1]


def _verify_offline(tmp_path, receipt: dict, keys: dict | None = None, pem: bytes | None = None):
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(receipt, ensure_ascii=False))
    key_file = tmp_path / ("keys.json" if keys is not None else "key.pem")
    key_file.write_bytes(json.dumps(keys).encode() if keys is not None else pem)
    return subprocess.run([sys.executable, "-m", "compliance.verify", str(receipt_file), "--public-key",
                           str(key_file)], capture_output=True, text=True)


def test_a_receipt_from_the_running_app_verifies_offline(client, world, tmp_path):
    _product, number = _register(world)
    receipt = client.get(f"/api/v1/certificates/{number}").json
    assert receipt["status"] == "valid" and receipt["signature"]["alg"] == "Ed25519"
    assert receipt["log"]["tree_size"] == _leaves() == 1
    keys = client.get("/.well-known/exchange-keys.json").json
    result = _verify_offline(tmp_path, receipt, keys=keys)
    assert result.returncode == 0, result.stdout + result.stderr

    tampered = json.loads(json.dumps(receipt))
    tampered["certificate"]["holder"]["name"] = "Someone else"
    result = _verify_offline(tmp_path, tampered, keys=keys)
    assert result.returncode == 1 and "signature" in result.stdout.lower()


def test_every_status_change_appends_exactly_one_leaf(app, client, world):
    product, first = _register(world)
    assert _leaves() == 1

    from marketplace.products import services as products
    from tests.builders import latest_review, pass_all_items

    products.update_product(product.id, actor=world.broker_a, description="version 2")
    registration.submit_product(product.id, actor=world.broker_a)
    review = latest_review(product)
    pass_all_items(review.id, world.reviewer)
    registration.decide_review(review.id, decision="approve", actor=world.reviewer)
    second = registration.register_due_products(now=product.latest.submitted_at + timedelta(days=4))["issued"][0]
    assert _leaves() == 3, "superseded + issued"
    catalog.list_product(product.id, offers=OFFERS, actor=world.broker_a)
    assert client.get(f"/api/v1/listings/{product.id}").json["certificate_number"] == second
    assert certificates.get_certificate(first).status == "superseded"
    assert [h["event"] for h in client.get(f"/api/v1/certificates/{first}").json["history"]] == [
        "issued", "superseded"]

    certificates.cancel_certificate(second, reason="We stopped offering it.", actor=world.broker_a)
    assert _leaves() == 4
    assert client.get(f"/api/v1/listings/{product.id}").status_code == 404, "a cancelled product leaves the catalog"
    assert client.get("/api/v1/listings").json["total"] == 0
    assert audit_log().ok


def test_revocation_expiry_and_renewal(app, client, world):
    _product, number = _register(world)
    admin = bearer_for(client, world.admin)
    assert client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "x"},
                       headers=bearer_for(client, world.broker_b)).status_code == 403
    revoked = client.post(f"/api/v1/certificates/{number}/revoke", json={"reason": "Court order 2026-17"},
                          headers=admin)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert revoked.json["history"][-1]["event"] == "revoked"

    _other, expiring = _register(world, name="Expiring product")
    certificate = certificates.get_certificate(expiring)
    assert certificates.expire_due_certificates(now=certificate.valid_to + timedelta(seconds=1)) == [expiring]
    assert certificates.expire_due_certificates(now=certificate.valid_to + timedelta(days=1)) == []
    renewed = client.post(f"/api/v1/certificates/{expiring}/renew", headers=bearer_for(client, world.broker_a))
    assert renewed.status_code == 201, renewed.json
    assert renewed.json["certificate"]["predecessor"] == expiring
    assert renewed.json["certificate"]["registration_type"] == "renewal"
    assert certificates.get_certificate(expiring).status == "renewed"
    assert audit_log().ok


def test_consistency_between_checkpoints(client, world):
    for i in range(3):
        _register(world, name=f"Product {i}")
    first = client.get("/api/v1/log/checkpoint").json
    _register(world, name="Product 3")
    latest = client.get("/api/v1/log/checkpoint").json
    assert latest["size"] == first["size"] + 1
    proof = client.get(f"/api/v1/log/consistency?from={first['size']}&to={latest['size']}").json["proof"]
    assert merkle.verify_consistency(first["size"], latest["size"], bytes.fromhex(first["root"]),
                                     bytes.fromhex(latest["root"]), [base64.b64decode(p) for p in proof])
    bad = client.get(f"/api/v1/log/consistency?from=5&to={latest['size'] + 9}")
    assert bad.status_code == 422


@pytest.mark.parametrize("target", ["leaf", "node", "audit"])
def test_log_audit_detects_a_direct_database_edit(app, world, target):
    for i in range(3):
        _register(world, name=f"Product {i}")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["log", "audit"]).exit_code == 0
    if target == "leaf":
        db.session.execute(text("UPDATE log_leaves SET entry = replace(entry, 'Provider A', 'Provider Z') "
                                "WHERE \"index\" = 1"))
    elif target == "node":
        db.session.execute(text("UPDATE log_nodes SET hash = :h WHERE level = 1 AND \"index\" = 0"),
                           {"h": "00" * 32})
    else:
        _disable_audit_trigger()
        db.session.execute(text("UPDATE audit_entries SET action = 'forged' WHERE seq = 5"))
    db.session.commit()
    try:
        result = runner.invoke(args=["log", "audit"])
        assert result.exit_code == 1
        report = json.loads(result.output.strip().splitlines()[-1])
        problem = report["log"]["problem"] if target != "audit" else report["audit"]["problem"]
        assert problem, report
        if target == "leaf":
            assert "leaf 1" in problem
        if target == "audit":
            assert report["audit"]["first_bad_seq"] == 5
    finally:
        if target == "audit":
            _enable_audit_trigger()


def _disable_audit_trigger():
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete"))


def _enable_audit_trigger():
    if db.engine.dialect.name != "sqlite":
        db.session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete"))
        db.session.commit()


def test_key_rotation_keeps_old_receipts_verifiable(app, client, world, tmp_path):
    from compliance import signing

    _product, old_number = _register(world, name="Before rotation")
    key_file = tmp_path / "operator-key.pem"
    key_file.write_bytes(signing.private_key_to_pem(signing.generate_private_key()))
    app.config["MARKETPLACE_SIGNING_KEY_FILE"] = str(key_file)
    _product, new_number = _register(world, name="After rotation")
    old, new = (client.get(f"/api/v1/certificates/{n}").json for n in (old_number, new_number))
    assert old["signature"]["key_id"] != new["signature"]["key_id"]
    keys = client.get("/.well-known/exchange-keys.json").json
    assert {k["status"] for k in keys["keys"]} == {"active", "retired"}
    for receipt in (old, new):
        result = _verify_offline(tmp_path, receipt, keys=keys)
        assert result.returncode == 0, result.stdout


def test_the_public_verification_page_shows_every_check(client, world):
    _product, number = _register(world)
    page = client.get(f"/verify?number={number}&lang=en").get_data(as_text=True)
    assert "Every check holds" in page and page.count("check-ok") >= 4 and "check-fail" not in page
    certificate_page = client.get(f"/certificates/{number}?lang=en").get_data(as_text=True)
    assert "<svg" in certificate_page and f"/verify?number={number}" in certificate_page
    assert client.get("/verify?number=NOPE-1").status_code == 404


def test_an_expired_certificate_cannot_be_renewed_once_a_later_version_exists(world):
    from marketplace.errors import InvalidTransition
    from marketplace.products import services as products

    product, number = _register(world)
    certificate = certificates.get_certificate(number)
    certificates.expire_due_certificates(now=certificate.valid_to + timedelta(seconds=1))
    products.update_product(product.id, actor=world.broker_a, description="version 2")
    with pytest.raises(InvalidTransition):
        certificates.renew_certificate(number, actor=world.broker_a)
    db.session.rollback()
    assert certificates.get_certificate(number).status == "expired"


def test_a_certificate_not_yet_logged_is_a_404_not_a_crash(client, world):
    _product, number = _register(world)
    db.session.execute(text("DELETE FROM log_leaves"))
    db.session.commit()
    assert client.get(f"/api/v1/certificates/{number}").status_code == 404
    page = client.get(f"/verify?number={number}&lang=en")
    assert page.status_code == 200 and "check-fail" in page.get_data(as_text=True)

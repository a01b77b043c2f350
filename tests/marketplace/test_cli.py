"""The set-up and upkeep commands: one JSON object each, clear errors, the scan contract, audit verify."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from compliance.identifiers import make_resident_id, make_uscc
from marketplace.extensions import db
from tests.builders import PASSWORD


def _run(app, *args, stdin=None):
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    return result.exit_code, json.loads(result.output.strip().splitlines()[-1]) if result.output.strip() else None


def test_orgs_users_clients(app):
    uscc = make_uscc("91440700MA0000077")
    code, org = _run(app, "orgs", "create", "--name", "江门农商银行", "--uscc", uscc, "--kind", "buyer")
    assert code == 0 and org["state"] == "approved" and org["uscc"] == uscc
    code, user = _run(app, "users", "create", "buyer@bank.test", "--org", uscc, "--role", "buyer",
                      stdin=PASSWORD + "\n")
    assert code == 0 and user["role"] == "buyer"
    code, client = _run(app, "clients", "create", "--user", "buyer@bank.test")
    assert code == 0 and set(client) == {"client_id", "client_secret", "scope"}
    assert client["scope"] == "trading contracts:sign delivery objections"


@pytest.mark.parametrize(("args", "stdin", "field"), [
    (["orgs", "create", "--name", "X", "--uscc", "91440700MA00000770", "--kind", "buyer"], None, "uscc"),
    (["users", "create", "a@b.test", "--role", "subject"], PASSWORD + "\n", "id_number"),
    (["users", "create", "a@b.test", "--role", "subject", "--id-number", "440703199001011234"],
     "short\n", "password"),
])
def test_bad_set_up_input_names_the_field(app, args, stdin, field):
    code, body = _run(app, *args, stdin=stdin)
    assert code == 1
    assert field in body["errors"]


def test_a_subject_is_stored_with_a_masked_id_only(app):
    id_number = make_resident_id("44070319900101123")
    code, _ = _run(app, "users", "create", "p@people.test", "--role", "subject", "--id-number", id_number,
                   stdin=PASSWORD + "\n")
    assert code == 0
    stored = db.session.execute(text("SELECT id_number_masked, id_number_hash FROM users")).one()
    assert id_number not in stored and stored[0].startswith(id_number[:3]) and "*" in stored[0]
    # The hash is keyed: the plain SHA-256 an attacker could compute by enumerating IDs is not what is stored.
    import hashlib

    assert stored[1] != hashlib.sha256(id_number.encode()).hexdigest()
    from marketplace.accounts import services as accounts

    assert accounts.subject_by_id_number(id_number.lower()).email == "p@people.test"


def test_compliance_scan_json_contract(app, tmp_path):
    sample = tmp_path / "people.csv"
    id_number = make_resident_id("44070319900101123")
    sample.write_text(f"name,id_no,phone\n张三,{id_number},+86 138-0013-8000\n李四,none,123\n", encoding="utf-8")
    code, report = _run(app, "compliance", "scan", str(sample), "--json")
    assert code == 0
    assert report["rows_scanned"] == 2
    assert {(f["row"], f["column"], f["type"]) for f in report["findings"]} == {
        (1, "id_no", "cn_resident_id"), (1, "phone", "cn_mobile")}
    assert report["counts"] == {"cn_resident_id": 1, "cn_mobile": 1}
    assert id_number not in json.dumps(report)


def test_audit_verify_names_the_first_bad_entry(app, world):
    code, report = _run(app, "audit", "verify")
    assert code == 0 and report["ok"] and report["entries"] > 5
    # Someone with direct database access switches the append-only trigger off and rewrites history.
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
    else:
        db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_update_delete"))
    try:
        db.session.execute(text("UPDATE audit_entries SET action = 'forged' WHERE seq = 3"))
        db.session.commit()
        code, report = _run(app, "audit", "verify")
        assert code == 1 and report["first_bad_seq"] == 3
    finally:
        if not sqlite:  # the PostgreSQL schema outlives this test
            db.session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_update_delete"))
            db.session.commit()

"""Tests for `python -m compliance.verify` run as a command, as an outside verifier would."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.receipt import certificate_signature_message
from compliance.signing import generate_private_key, keys_document, public_key_to_pem, sign
from tests.compliance.memlog import MemoryLog, make_document

ROOT = Path(__file__).resolve().parents[2]
KEY = generate_private_key()
OLD_KEY = generate_private_key()
OTHER = generate_private_key()


def run(*args):
    return subprocess.run([sys.executable, "-m", "compliance.verify", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def receipt():
    log = MemoryLog(KEY)
    for n in range(1, 8):
        log.issue(make_document(f"SZDE-2025-{n:06d}"))
    return log.receipt(make_document("SZDE-2025-000006"), 5)


@pytest.fixture
def files(tmp_path, receipt):
    (tmp_path / "receipt.json").write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "key.pem").write_bytes(public_key_to_pem(KEY.public_key()))
    document = keys_document([
        {"public_key": OLD_KEY.public_key(), "created_at": "2024-01-01T00:00:00+00:00",
         "retired_at": "2025-01-01T00:00:00+00:00"},
        {"public_key": KEY.public_key(), "created_at": "2025-01-01T00:00:00+00:00"},
    ])
    (tmp_path / "exchange-keys.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "other.pem").write_bytes(public_key_to_pem(OTHER.public_key()))
    return tmp_path


def tamper(files, change):
    receipt = json.loads((files / "receipt.json").read_text(encoding="utf-8"))
    change(receipt)
    path = files / "tampered.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    return path


@pytest.mark.parametrize("key_file", ["key.pem", "exchange-keys.json"])
def test_a_genuine_receipt_exits_0(files, key_file):
    result = run(files / "receipt.json", "--public-key", files / key_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED: all 6 checks hold" in result.stdout
    assert result.stdout.count("✓") == 6


def test_json_output(files):
    result = run(files / "receipt.json", "--public-key", files / "key.pem", "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert report["verified"] is True and report["certificate"] == "SZDE-2025-000006"
    assert [c["name"] for c in report["checks"]] == ["signature", "entry", "status", "leaf", "inclusion", "checkpoint"]


def _change_field(receipt):
    receipt["certificate"]["valid_to"] = "2099-01-01T00:00:00+00:00"


def _other_signature(receipt):
    message = certificate_signature_message(receipt["certificate"])
    receipt["signature"]["value"] = base64.b64encode(sign(OTHER, message)).decode()


def _other_size(receipt):
    receipt["log"]["tree_size"] -= 1


@pytest.mark.parametrize(("change", "check"), [
    (_change_field, "signature"), (_other_signature, "signature"), (_other_size, "inclusion"),
])
def test_a_tampered_receipt_exits_1_naming_the_check(files, change, check):
    result = run(tamper(files, change), "--public-key", files / "exchange-keys.json")
    assert result.returncode == 1, result.stdout
    assert f"✗ {check}:" in result.stdout
    assert "NOT VERIFIED" in result.stdout and check in result.stdout.splitlines()[-1]


def test_a_checkpoint_by_an_unknown_key_exits_1(files):
    result = run(files / "receipt.json", "--public-key", files / "other.pem", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert {c["name"] for c in report["checks"] if not c["ok"]} == {"signature", "checkpoint"}


@pytest.mark.parametrize("problem", ["missing receipt", "bad json", "bad key", "missing key"])
def test_unreadable_input_exits_2(files, problem):
    receipt, key = files / "receipt.json", files / "key.pem"
    if problem == "missing receipt":
        receipt = files / "nope.json"
    elif problem == "bad json":
        receipt.write_text("{not json", encoding="utf-8")
    elif problem == "bad key":
        key.write_text("garbage", encoding="utf-8")
    else:
        key = files / "nope.pem"
    result = run(receipt, "--public-key", key)
    assert result.returncode == 2
    assert result.stderr.startswith("error:")

"""Tests for certificate log entries, receipts and their offline checks."""

import base64
import copy
import json

import pytest

from compliance.merkle import inclusion_proof
from compliance.receipt import CHECKS, Check, certificate_signature_message, log_entry, verify_receipt
from compliance.signing import generate_private_key, key_id, sign
from tests.compliance.memlog import AT, MemoryLog, make_document

KEY = generate_private_key()
OTHER = generate_private_key()
KEYS = {key_id(KEY): KEY.public_key()}


@pytest.fixture(scope="module")
def log():
    log = MemoryLog(KEY)
    for n in range(1, 12):
        log.issue(make_document(f"SZDE-2025-{n:06d}"))
    log.issue(make_document("SZDE-2025-000003"), event="revoked")
    return log


@pytest.fixture
def receipt(log):
    return log.receipt(make_document("SZDE-2025-000005"), 4)


def failed(checks):
    return [check.name for check in checks if not check.ok]


def test_log_entry_is_canonical_json_of_certificate_event_and_time():
    document = make_document("SZDE-2025-000001")
    entry = log_entry(document, "issued", AT)
    assert json.loads(entry) == {"certificate": document, "event": "issued", "at": AT}
    assert entry == log_entry(dict(reversed(list(document.items()))), "issued", AT)
    assert certificate_signature_message(document).startswith(b'{"holder":')


def test_unknown_event_is_refused():
    with pytest.raises(ValueError, match="event"):
        log_entry(make_document("X"), "lost", AT)


def test_a_genuine_receipt_passes_every_check(receipt):
    checks = verify_receipt(receipt, KEYS)
    assert [check.name for check in checks] == list(CHECKS)
    assert all(isinstance(check, Check) and check.ok for check in checks), checks
    assert json.loads(json.dumps(receipt)) == receipt


def test_every_leaf_of_a_log_has_a_valid_receipt(log):
    for index, entry in enumerate(log.entries):
        document = json.loads(entry)["certificate"]
        for size in (index + 1, log.size):
            assert not failed(verify_receipt(log.receipt(document, index, size), KEYS))


def test_a_status_change_leaf_is_verifiable(log):
    receipt = log.receipt(make_document("SZDE-2025-000003"), 11)
    checks = verify_receipt(receipt, KEYS)
    assert not failed(checks)
    assert "'revoked'" in _check(checks, "entry").detail


@pytest.mark.parametrize(("field", "value"), [
    ("number", "SZDE-2025-999999"), ("valid_to", "2099-01-01T00:00:00+00:00"), ("rights", ["holding"]),
    ("holder", {"name": "其他公司", "uscc": "91440300MA5FY8KD1X"}),
])
def test_a_changed_certificate_field_fails(receipt, field, value):
    receipt["certificate"][field] = value
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["signature", "entry"]
    assert field in _check(checks, "entry").detail


def test_a_changed_field_re_signed_by_the_exchange_still_differs_from_the_log(receipt):
    receipt["certificate"]["valid_to"] = "2099-01-01T00:00:00+00:00"
    message = certificate_signature_message(receipt["certificate"])
    receipt["signature"]["value"] = base64.b64encode(sign(KEY, message)).decode()
    assert failed(verify_receipt(receipt, KEYS)) == ["entry"]


def test_a_signature_by_another_key_fails(receipt):
    message = certificate_signature_message(receipt["certificate"])
    receipt["signature"]["value"] = base64.b64encode(sign(OTHER, message)).decode()
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["signature"]
    assert "does not match" in _check(checks, "signature").detail


def test_a_signature_under_an_unknown_key_id_fails(log):
    receipt = log.receipt(make_document("SZDE-2025-000005"), 4, signer=OTHER)
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["signature"]
    assert key_id(OTHER) in _check(checks, "signature").detail


def test_a_checkpoint_by_an_unknown_key_fails(log):
    impostor = MemoryLog(OTHER, nodes=log.nodes, entries=log.entries)
    receipt = impostor.receipt(make_document("SZDE-2025-000005"), 4, signer=KEY)
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["checkpoint"]
    assert "no signature by a known key" in _check(checks, "checkpoint").detail


def test_a_proof_for_another_size_fails(log, receipt):
    receipt["log"]["inclusion_proof"] = [base64.b64encode(h).decode() for h in inclusion_proof(4, 9, log.nodes)]
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["inclusion"]
    assert "does not lead" in _check(checks, "inclusion").detail


def test_a_receipt_claiming_another_tree_size_fails(log, receipt):
    other = log.receipt(make_document("SZDE-2025-000005"), 4, 9)
    receipt["log"]["tree_size"] = other["log"]["tree_size"]
    receipt["log"]["inclusion_proof"] = other["log"]["inclusion_proof"]
    checks = verify_receipt(receipt, KEYS)
    assert failed(checks) == ["inclusion"]
    assert "tree size 9" in _check(checks, "inclusion").detail


def test_another_certificates_entry_fails(log, receipt):
    receipt["log"]["entry"] = base64.b64encode(log.entries[5]).decode()
    assert failed(verify_receipt(receipt, KEYS)) == ["entry", "inclusion"]


@pytest.mark.parametrize("index", [3, 5, 12, -1])
def test_a_wrong_leaf_index_fails(receipt, index):
    receipt["log"]["leaf_index"] = index
    assert "inclusion" in failed(verify_receipt(receipt, KEYS))


def test_a_changed_byte_in_the_checkpoint_fails(receipt):
    note = receipt["log"]["checkpoint"]
    receipt["log"]["checkpoint"] = note.replace("\n12\n", "\n13\n", 1)
    assert failed(verify_receipt(receipt, KEYS)) == ["inclusion", "checkpoint"]


@pytest.mark.parametrize("mangle", [
    lambda r: r.pop("log"),
    lambda r: r.pop("signature"),
    lambda r: r["log"].update(entry="%%%"),
    lambda r: r["log"].update(inclusion_proof="AAAA"),
    lambda r: r["log"].update(tree_size="12"),
    lambda r: r["log"].update(checkpoint=None),
    lambda r: r["signature"].update(alg="RSA"),
    lambda r: r.update(certificate=["not", "an", "object"]),
])
def test_a_malformed_receipt_fails_checks_instead_of_raising(receipt, mangle):
    broken = copy.deepcopy(receipt)
    mangle(broken)
    checks = verify_receipt(broken, KEYS)
    assert [check.name for check in checks] == list(CHECKS)
    assert failed(checks)


def test_a_non_dict_receipt_fails_every_check():
    assert failed(verify_receipt(["nope"], KEYS)) == list(CHECKS)


def _check(checks, name):
    return next(check for check in checks if check.name == name)


def test_a_revoked_certificate_cannot_pass_as_valid():
    """The receipt's status must follow from the proven (latest) event: an older 'issued' leaf proves nothing."""
    log = MemoryLog(KEY)
    document = make_document("SZDE-2025-000042")
    issued = log.issue(document)
    log.issue(document, event="revoked")
    stale = log.receipt(document, issued)
    assert verify_receipt(stale, KEYS) and not failed(verify_receipt(stale, KEYS)), "valid while unknown"
    stale["history"].append({"event": "revoked", "at": AT, "leaf_index": issued + 1})
    checks = verify_receipt(stale, KEYS)
    assert failed(checks) == ["status"]
    assert "latest" in _check(checks, "status").detail

    claims_valid = log.receipt(document, issued + 1)
    claims_valid["status"] = "valid"
    assert failed(verify_receipt(claims_valid, KEYS)) == ["status"]


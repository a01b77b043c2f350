"""Tests for canonical JSON and its SHA-256 digest."""

import hashlib
import math
from datetime import UTC, datetime

import pytest

from compliance.digest import canonical_json, sha256_hex


def test_canonical_json_sorts_keys_and_drops_whitespace():
    obj = {"b": 1, "a": [1, 2.5, None, True], "c": {"z": "中文", "y": ""}}
    assert canonical_json(obj) == '{"a":[1,2.5,null,true],"b":1,"c":{"y":"","z":"中文"}}'.encode()


def test_non_ascii_text_is_utf8_not_escaped():
    assert canonical_json("数据") == b'"\xe6\x95\xb0\xe6\x8d\xae"'


def test_key_order_does_not_change_the_digest():
    assert sha256_hex({"a": 1, "b": 2}) == sha256_hex({"b": 2, "a": 1})


def test_sha256_hex_of_empty_object():
    assert sha256_hex({}) == hashlib.sha256(b"{}").hexdigest()
    assert sha256_hex({}) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def test_tuples_are_arrays():
    assert canonical_json({"k": (1, 2)}) == canonical_json({"k": [1, 2]})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"x": [math.nan]}])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ValueError):
        canonical_json(value)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        {1: "int key"},
        {"s": {1, 2}},
        b"bytes",
    ],
)
def test_values_without_one_json_form_are_refused(value):
    with pytest.raises(TypeError):
        canonical_json(value)


def test_the_compliance_tests_need_neither_flask_nor_a_database():
    """Run this folder's tests in a fresh interpreter and check that nothing of the web stack was imported."""
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(__file__).resolve().parent
    probe = (
        "import sys, pytest\n"
        f"rc = pytest.main([{str(folder)!r}, '-q', '-p', 'no:cacheprovider', '-k', 'not need_neither'])\n"
        "loaded = [m for m in ('flask', 'sqlalchemy', 'marketplace', 'werkzeug') if m in sys.modules]\n"
        "print('web stack loaded:', loaded)\n"
        "sys.exit(rc or (3 if loaded else 0))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=folder.parents[1], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "web stack loaded: []" in result.stdout

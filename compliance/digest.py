"""Canonical JSON bytes and their SHA-256, so a registered version's metadata digest is reproducible."""

from __future__ import annotations

import hashlib
import json
import math

_SCALARS = (str, int, float, bool, type(None))


def _check(obj: object, path: str) -> None:
    # Checked up front rather than left to json.dumps, which turns int keys into strings: {1: x} and
    # {"1": x} would then share a digest.
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"{path}: {obj!r} has no JSON representation")
    if isinstance(obj, _SCALARS):
        return
    if isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            _check(item, f"{path}[{i}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is not a string")
            _check(value, f"{path}.{key}")
        return
    raise TypeError(f"{path}: {type(obj).__name__} is not JSON; convert it first (datetimes to ISO 8601)")


def canonical_json(obj: object) -> bytes:
    """UTF-8 JSON, sorted keys, no whitespace: dicts (str keys), lists, tuples, str, numbers, bool, None."""
    _check(obj, "$")
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def sha256_hex(obj: object) -> str:
    """Lower-case hex SHA-256 of `canonical_json(obj)`."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()

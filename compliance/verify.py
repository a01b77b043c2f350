"""Offline verifier: `python -m compliance.verify RECEIPT --public-key KEY [--json]` (stable contract 5)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from compliance.receipt import verify_receipt
from compliance.signing import KeysError, load_public_keys

EXIT_VERIFIED, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m compliance.verify",
        description="Check a certificate receipt offline: the certificate signature, its log entry and leaf, "
        "the inclusion proof and the checkpoint signature. Exits 0 only when every check holds, 1 when one "
        "fails, 2 when the input cannot be read.",
    )
    parser.add_argument("receipt", metavar="RECEIPT", help="the receipt JSON file ('-' reads standard input)")
    parser.add_argument(
        "--public-key", required=True, metavar="KEY",
        help="a PEM public key file, or the exchange's keys document (/.well-known/exchange-keys.json) saved",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        receipt = json.loads(_read(args.receipt))
        public_keys = load_public_keys(_read(args.public_key))
    except (OSError, ValueError) as exc:  # KeysError and JSON errors are ValueErrors
        kind = "public key" if isinstance(exc, KeysError) else "input"
        print(f"error: cannot read the {kind}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if not isinstance(receipt, dict):
        print("error: a receipt is a JSON object", file=sys.stderr)
        return EXIT_UNREADABLE

    checks = verify_receipt(receipt, public_keys)
    verified = all(check.ok for check in checks)
    certificate = receipt.get("certificate")
    number = certificate.get("number") if isinstance(certificate, dict) else None
    if args.json:
        print(json.dumps({
            "verified": verified,
            "certificate": number,
            "checks": [check._asdict() for check in checks],
        }, ensure_ascii=False, indent=2))
    else:
        print(f"Certificate {number}")
        for check in checks:
            print(f"  {'✓' if check.ok else '✗'} {check.name}: {check.detail}")
        if verified:
            print(f"VERIFIED: all {len(checks)} checks hold")
        else:
            failed = ", ".join(check.name for check in checks if not check.ok)
            print(f"NOT VERIFIED: failed {failed}")
    return EXIT_VERIFIED if verified else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

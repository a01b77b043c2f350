"""A tiny in-memory certificate log for tests: stores nodes as the marketplace does and issues receipts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from compliance import merkle
from compliance.checkpoint import Checkpoint, sign_checkpoint
from compliance.receipt import STATUS_AFTER, build_receipt, certificate_signature_message, log_entry
from compliance.signing import key_id, sign

ORIGIN = "exchange.example/certificates"
AT = "2025-03-01T08:00:00+00:00"


def make_document(number: str, **changes) -> dict:
    """A certificate document shaped like Certificate.document()."""
    document = {
        "number": number, "type": "product", "registration_type": "initial",
        "holder": {"name": "深圳示例数据有限公司", "uscc": "91440300MA5FY8KD1X"},
        "product": {"id": 7, "name": "物流时效数据集", "version": 1},
        "metadata_digest": {"alg": "sha256", "value": "ab" * 32},
        "rights": ["holding", "processing"], "review_reference": 3,
        "issued_at": AT, "valid_from": AT, "valid_to": "2028-03-01T08:00:00+00:00",
        "issuing_body": "Example Data Exchange", "predecessor": None,
    }
    document.update(changes)
    return document


@dataclass
class MemoryLog:
    """Append-only log over a dict of (level, index) → hash, signing with one key."""

    private_key: Ed25519PrivateKey
    key_name: str = ORIGIN
    nodes: dict = field(default_factory=dict)
    entries: list = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.entries)

    def append(self, entry: bytes) -> int:
        index = self.size
        # One fetch of the left siblings, as the database-backed log does.
        needed = {node: self.nodes[node] for node in merkle.nodes_needed_for_append(index)}
        completed = merkle.nodes_completed_by_append(index, merkle.leaf_hash(entry), lambda lv, ix: needed[(lv, ix)])
        for level, position, value in completed:
            self.nodes[(level, position)] = value
        self.entries.append(entry)
        return index

    def checkpoint(self, size: int | None = None, timestamp: str = AT) -> str:
        size = self.size if size is None else size
        root = merkle.root_from_nodes(size, self.nodes)
        cp = Checkpoint(origin=ORIGIN, size=size, root=root, timestamp=timestamp)
        return sign_checkpoint(cp, key_name=self.key_name, private_key=self.private_key)

    def issue(self, document: dict, event: str = "issued") -> int:
        return self.append(log_entry(document, event, AT))

    def receipt(self, document: dict, leaf_index: int, size: int | None = None, *, signer=None) -> dict:
        size = self.size if size is None else size
        signer = signer or self.private_key
        event = json.loads(self.entries[leaf_index])["event"]
        return build_receipt(
            document=document, status=STATUS_AFTER[event], key_id=key_id(signer),
            signature=sign(signer, certificate_signature_message(document)),
            entry=self.entries[leaf_index], leaf_index=leaf_index, tree_size=size,
            inclusion_proof=merkle.inclusion_proof(leaf_index, size, self.nodes),
            checkpoint=self.checkpoint(size), history=[{"event": event, "at": AT, "leaf_index": leaf_index}],
        )

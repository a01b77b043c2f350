"""JSON lines, one object per line: the columns are every key in first-seen order."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from compliance.readers.base import Cell, Table, _cell
from compliance.readers.blocks import _TextBlocks
from compliance.readers.errors import SampleError


class JsonLinesTable(Table):
    """JSON lines, one object per line; the columns are every key in first-seen order (a first pass)."""

    format = "jsonl"

    def __init__(self, owned: BinaryIO | None, open_blocks: Callable[[], _TextBlocks]) -> None:
        super().__init__(owned)
        self._open_blocks = open_blocks
        keys: dict[str, None] = {}
        blocks = open_blocks()
        for obj in self._objects(blocks):
            keys.update(dict.fromkeys(obj))
        self.columns = list(keys)
        self._encoding = blocks.encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    @staticmethod
    def _objects(blocks: _TextBlocks) -> Iterator[dict[str, Any]]:
        line_number = 0
        for block in blocks:
            for line in block.split("\n")[:-1]:
                line_number += 1
                if line.strip():
                    yield _json_object(line, line_number)

    def rows(self) -> Iterator[list[Cell]]:
        blocks = self._open_blocks()
        blocks.reader.on_progress = self.on_progress
        columns = self.columns
        for obj in self._objects(blocks):
            yield [_json_cell(obj.get(c)) for c in columns]


def _json_cell(value: Any) -> Cell:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _cell(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _json_object(line: str, line_number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SampleError(
            "bad_json",
            f"Line {line_number} is not valid JSON: {exc.msg} at column {exc.colno}.",
            f"第 {line_number} 行不是有效的 JSON：第 {exc.colno} 列 {exc.msg}。",
        ) from exc
    except RecursionError as exc:
        raise SampleError(
            "bad_json", f"Line {line_number} is nested too deeply.", f"第 {line_number} 行嵌套过深。"
        ) from exc
    if not isinstance(obj, dict):
        raise SampleError(
            "bad_json", f"Line {line_number} is JSON but not an object.", f"第 {line_number} 行是 JSON 但不是对象。"
        )
    if "" in obj:
        raise SampleError(
            "bad_json", f"Line {line_number} has a key with no name.", f"第 {line_number} 行有空的键名。"
        )
    return obj

"""Reading a W&B offline run back from its transaction log (`run-<id>.wandb`), as `wandb sync` would send it.

wandb 0.31 ships no Python reader of its own, so this follows the file's documented shape: a 7-byte header
(`:W&B`, magic, version), then LevelDB log records in 32 KiB blocks (4-byte checksum, 2-byte length, 1-byte
type: full, first, middle, last), each record a `wandb_internal_pb2.Record`."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BLOCK, HEADER = 32768, 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: Path) -> Iterator[Any]:
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    position, parts = HEADER, []
    while position + HEADER <= len(data):
        room = BLOCK - position % BLOCK
        if room < HEADER:  # the end of a block too short for a header is padding
            position += room
            continue
        _checksum, length, kind = struct.unpack("<IHB", data[position : position + HEADER])
        position += HEADER
        if kind == 0:  # zero padding to the end of the block
            position += room - HEADER
            continue
        parts.append(data[position : position + length])
        position += length
        if kind in (FULL, LAST):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(b"".join(parts))
            parts = []
            yield record


def key_of(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def offline_run(path: Path) -> dict[str, Any]:
    """{"run": the run record, "config": key -> value, "history": key -> last logged value, "summary": ...}"""
    run: dict[str, Any] = {"run": None, "config": {}, "history": {}, "summary": {}}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run["run"] = record.run
            run["config"].update({key_of(i): json.loads(i.value_json) for i in record.run.config.update})
        elif kind == "config":
            run["config"].update({key_of(i): json.loads(i.value_json) for i in record.config.update})
        elif kind == "history":
            run["history"].update({key_of(i): json.loads(i.value_json) for i in record.history.item})
        elif kind == "summary":
            run["summary"].update({key_of(i): json.loads(i.value_json) for i in record.summary.update})
    return run

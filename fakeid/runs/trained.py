"""A trained detector and what it was trained with, loaded from a run folder or a checkpoint file.

Shared by every command that uses a detector after training (`fakeid.eval`, `fakeid.predict`,
`fakeid.export`):

    run=RUN_DIR   a finished training run: its tested checkpoint, its validation-calibrated threshold,
                  the categories it trained on and its image size, all read from its metrics.json
    ckpt=PATH     any checkpoint FakeImageDetector wrote; the threshold only when given (`threshold=`)

Every problem is a one-line FakeidError naming the folder, file or key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fakeid.core.errors import FakeidError
from fakeid.core.names import plain_file_name
from fakeid.data.augment import identity_hparams
from fakeid.data.images import FAKEID_FIT, FIT_RULES
from fakeid.data.mix import categories_in_mix
from fakeid.runs.checkpoint_file import LIGHTNING_LOAD, UnsafeCheckpoint, load_checkpoint_mapped
from fakeid.runs.files import CHECKPOINT_DIR, METRICS_FILE
from fakeid.runs.record import RunRecord, UnreadableRecord, given, read_record, record_path

LEGACY_NAME = "model_name"  # what the hyper-parameter `name` (conf/model's key) was called in older checkpoints
RUN_KEY = "fakeid_run"  # {"config_hash": ...}: the run that wrote a checkpoint (fakeid.training.checkpoints)


@dataclass
class TrainedDetector:
    """The weights to load and everything known about how they were trained."""

    checkpoint: Path
    image_size: int
    threshold: float | None = None  # validation-calibrated; None when unknown (a bare checkpoint)
    categories_used: list[str] | None = None
    train_generator: str | None = None
    run_dir: Path | None = None
    hparams: dict[str, Any] = field(default_factory=dict)  # the training run's flat hparams, when known
    config_hash: str | None = None
    fit: str = FAKEID_FIT  # how an image becomes image_size x image_size: a published run's `published.fit`

    def load(self, map_location: str = "cpu"):
        """The FakeImageDetector in eval mode (imports Lightning and timm only when called)."""
        return load_detector(self.checkpoint, map_location)


def read_checkpoint(path: Path) -> dict:
    """The raw checkpoint dict, loaded as data only (fakeid.runs.checkpoint_file: a pickle naming code is
    refused unread), checked to be one that FakeImageDetector wrote."""
    if not path.is_file():
        raise FakeidError(f"ckpt={path} is not a file (a checkpoint written by fakeid.train was expected)")
    try:
        payload = load_checkpoint_mapped(path)  # the check reads the small records, not the weights
    except UnsafeCheckpoint:
        raise
    except Exception as err:  # noqa: BLE001 - torch raises many types for a file that is not a checkpoint
        raise FakeidError(f"ckpt={path} is not a PyTorch checkpoint ({type(err).__name__})") from None
    hparams = payload.get("hyper_parameters") if isinstance(payload, dict) else None
    if not isinstance(hparams, dict) or not {"name", LEGACY_NAME} & set(hparams) or "state_dict" not in payload:
        raise FakeidError(
            f"ckpt={path} is not a fakeid detector checkpoint (no FakeImageDetector "
            "hyper-parameters or state_dict in it)"
        )
    return payload


def load_detector(path: Path, map_location: str = "cpu"):
    """The FakeImageDetector of a checkpoint, in eval mode: fakeid's one checkpoint loader (training's test, eval,
    predict, export), so every command reads older checkpoints' hyper-parameter names the same way."""
    # Lightning and timm (seconds to import): only once weights are loaded, not to read a run's record
    from lightning_fabric.utilities.init import _EmptyInit

    from fakeid.models.detector import FakeImageDetector
    from fakeid.models.probe import CHECKPOINT_KIND, KIND, ProbeDetector

    payload = read_checkpoint(path)  # the one-line check before Lightning's own, less readable errors
    detector_class: type[FakeImageDetector] = (
        ProbeDetector if payload.get(CHECKPOINT_KIND) == KIND else FakeImageDetector
    )
    # A detector's every parameter and buffer is in its checkpoint and loaded strictly (strict=True, Lightning's
    # default, said here because what follows relies on it), so its random initialisation is skipped (Lightning's
    # _EmptyInit: torch.nn.init calls do nothing), as Fabric's init_module(empty_init=True) does: 0.20 -> 0.13 s a
    # build on the sandbox, once a training run's test. The same weights result (tests/unit/models/test_model.py).
    # Not for a probe, whose frozen tower may not be in its file.
    with _EmptyInit(enabled=detector_class is FakeImageDetector):
        detector = detector_class.load_from_checkpoint(
            str(path), map_location=map_location, strict=True, **LIGHTNING_LOAD, **model_hparams(payload)
        )
    return detector.eval()


def model_hparams(payload: dict) -> dict[str, Any]:
    """The detector's hyper-parameters in a checkpoint, under today's argument names."""
    hparams = dict(payload["hyper_parameters"])
    if LEGACY_NAME in hparams:
        hparams.setdefault("name", hparams.pop(LEGACY_NAME))
    return hparams


def checkpoint_image_size(payload: dict) -> int | None:
    """The image size the detector was trained at, from the datamodule's hyper-parameters Lightning saved."""
    size = (payload.get("datamodule_hyper_parameters") or {}).get("image_size")
    return int(size) if size is not None else None


def from_checkpoint(path: str | Path, threshold: float | None = None) -> TrainedDetector:
    """A bare checkpoint: the threshold only if given, categories unknown; the data and model settings it
    was trained with (Lightning stores both modules' hyper-parameters) stand in for a run's hparams."""
    path = Path(path).expanduser()
    payload = read_checkpoint(path)
    size = checkpoint_image_size(payload)
    if size is None:
        raise FakeidError(f"ckpt={path} does not record its image size (not written by fakeid.train)")
    data = payload.get("datamodule_hyper_parameters") or {}
    augment = data.pop("augment", None) or {}  # the training augmentation, recorded as a run records it
    hparams = identity_hparams(
        {
            **{f"model.{key}": value for key, value in model_hparams(payload).items()},
            **{f"data.{key}": value for key, value in data.items()},
            **{f"augment.{key}": value for key, value in augment.items()},
        }
    )
    used = None
    if data.get("categories") and data.get("num_categories"):
        used = categories_in_mix(list(data["categories"]), int(data["num_categories"]), list(data.get("holdout", [])))
    return TrainedDetector(
        checkpoint=path.resolve(),
        image_size=size,
        threshold=check_threshold(threshold),
        categories_used=used,
        train_generator=data.get("train_generator"),
        hparams=hparams,
    )


def check_threshold(threshold: float | None) -> float | None:
    if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
        raise FakeidError(f"threshold={threshold} must lie in [0, 1] (a probability of fake)")
    return None if threshold is None else float(threshold)


def run_record(run_dir: Path) -> RunRecord:
    """The finished run's metrics.json, or a one-line error saying why it cannot be used."""
    if not run_dir.is_dir():
        raise FakeidError(f"run={run_dir} is not a folder (a training run folder holding {METRICS_FILE} was expected)")
    metrics_path = record_path(run_dir)
    if not metrics_path.is_file():
        raise FakeidError(f"run={run_dir} holds no {METRICS_FILE} (not a finished fakeid.train run)")
    try:
        record = read_record(metrics_path, strict=True)
    except UnreadableRecord as unreadable:
        err = unreadable.cause
        if isinstance(err, json.JSONDecodeError):
            raise FakeidError(f"{metrics_path} is not valid JSON ({err.msg} at line {err.lineno})") from None
        raise
    if record.status != "ok":
        raise FakeidError(f"run={run_dir} did not finish ok (status {given(record.status)!r} in {metrics_path})")
    return record


def written_by(payload: dict) -> str | None:
    """The config hash of the run that wrote a checkpoint (None for one written before the stamp existed)."""
    stamp = payload.get(RUN_KEY) if isinstance(payload, dict) else None
    return stamp.get("config_hash") if isinstance(stamp, dict) else None


def kept_no_weights(record: RunRecord) -> bool:
    """The run finished without keeping any weights (`keep_checkpoints=none`): it cannot be evaluated again."""
    return not record.tested_checkpoint and (record.hparams or {}).get("keep_checkpoints") == "none"


def tested_checkpoint(run_dir: Path, record: RunRecord) -> Path:
    """The checkpoint the run tested. A run folder is self-contained: its own `checkpoints/<name>` first (the
    run may have been moved aside into .replaced/, moved or copied with `cp -a`); the absolute path recorded in
    metrics.json only when that file is missing here and the checkpoint there was written by this run (its
    config hash, stamped by fakeid.train, is this run's). Another run's weights are never used silently."""
    recorded = given(record.tested_checkpoint)
    if kept_no_weights(record):
        raise FakeidError(f"run={run_dir} kept no weights (keep_checkpoints=none): it cannot be evaluated again")
    if not recorded:
        raise FakeidError(f"run={run_dir}: its {METRICS_FILE} records no tested checkpoint")
    own = run_dir / CHECKPOINT_DIR / plain_file_name(Path(recorded).name, f"{record_path(run_dir)} tested_checkpoint")
    if own.is_file():
        return own.resolve()
    elsewhere = Path(recorded)
    if not elsewhere.is_file():
        raise FakeidError(f"run={run_dir}: its tested checkpoint {own.name} is missing (looked in {own.parent})")
    writer, expected = written_by(read_checkpoint(elsewhere)), given(record.config_hash)
    if writer is None or writer != expected:
        raise FakeidError(
            f"run={run_dir}: its tested checkpoint {own.name} is missing (looked in {own.parent}); the recorded "
            f"{elsewhere} is not this run's (written by config hash {writer or 'unknown'}, this run is "
            f"{expected}): pass ckpt= to use it anyway"
        )
    return elsewhere.resolve()


def from_run(run_dir: str | Path, threshold: float | None = None) -> TrainedDetector:
    """A finished training run: its tested weights, threshold (unless overridden), categories and size."""
    run_dir = Path(run_dir).expanduser().resolve()
    record = run_record(run_dir)
    hparams = record.hparams or {}
    checkpoint = tested_checkpoint(run_dir, record)
    size = hparams.get("data.image_size") or checkpoint_image_size(read_checkpoint(checkpoint))
    if size is None:
        raise FakeidError(f"run={run_dir}: neither its {METRICS_FILE} nor {checkpoint} records the image size")
    return TrainedDetector(
        checkpoint=checkpoint,
        image_size=int(size),
        threshold=check_threshold(threshold) if threshold is not None else given(record.threshold),
        categories_used=hparams.get("data.categories_used"),
        train_generator=hparams.get("data.train_generator"),
        run_dir=run_dir,
        hparams=hparams,
        config_hash=given(record.config_hash),
        fit=fit_rule(hparams, record_path(run_dir)),
    )


def fit_rule(hparams: dict[str, Any], where: Path) -> str:
    """The run's `published.fit` (fakeid.published: the peer's rule, or fakeid's with preprocess=fakeid);
    fakeid's own rule for a trained run, which records none."""
    fit = hparams.get("published.fit") or FAKEID_FIT
    if fit not in FIT_RULES:
        raise FakeidError(f"{where}: published.fit={fit!r} is not one of {', '.join(FIT_RULES)}")
    return str(fit)


def resolve(run: str | None = None, ckpt: str | None = None, threshold: float | None = None) -> TrainedDetector:
    """`run=` or `ckpt=`, exactly one of them."""
    if bool(run) == bool(ckpt):
        raise FakeidError("give exactly one of run=RUN_DIR (a finished fakeid.train run) or ckpt=PATH (a checkpoint)")
    return from_run(run, threshold) if run else from_checkpoint(ckpt, threshold)  # type: ignore[arg-type]  # ckpt given

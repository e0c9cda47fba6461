"""Every key of every command and config group, declared once: type, default, range or choices, one-line doc.

The YAML files under fakeid/conf hold only what differs from these defaults (a choice's own values, an
experiment's grid); each names its dataclass first in its defaults list (`- /schema/data@_here_: paper`), and
`register()` puts every dataclass in Hydra's ConfigStore. `fakeid.core.schema` reads the rules; the docs'
configuration reference is written from this file. A module of declarations, one per command or group,
longer than most for that reason.

Two nodes stay open to keys beyond their fields, declared by `extra_keys`: the training config's root (a
launcher's own node, `launcher.*` of launcher=slurm) and `trainer` (any argument of Lightning's Trainer:
`+trainer.gradient_clip_val=1`, slurm's `plugins`). OmegaConf opens a dataclass to extra keys when it
subclasses `Dict[str, Any]`; it warns that this is deprecated (omegaconf#663) without a replacement yet, so
`register()` silences that one warning.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from fakeid.core.schema import declare, setting
from fakeid.core.values import integer_problem, is_number

SEED_MAX = 2**32 - 1  # Lightning and numpy seed with 32 bits
BLUR_SIGMA_MAX = 1e6  # px; Pillow refuses radii from about 2.1e9 (a C int)
FORMATS = ("png", "jpeg")
DEVICES = ("cpu", "cuda", "auto")


def lightning_devices(value: Any) -> str | None:
    """a number of devices of at least 1, -1 (all), auto, or a list of device indices"""
    if isinstance(value, (str, list)):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and (value >= 1 or value == -1):
        return None
    return "expected a number of devices of at least 1, -1 (all), auto, or a list of device indices"


# ============================================================================= fakeid.train: its groups
@dataclass
class DataConfig:
    """conf/data: the category mix, its budget and the loaders (fakeid.data.datamodule)."""

    _target_: str = "fakeid.data.datamodule.CategoryMixDataModule"
    root: str = setting(MISSING, "ROOT holding train/ [val/] test/")
    num_categories: int = setting(10, "categories in the mix: train on the first n of `categories`", low=1)
    categories: list[str] = setting(
        ["cat", "church_outdoor", "train", "airplane", "bus", "cow", "bridge", "bedroom", "classroom", "restaurant"],
        "the mixing order",
    )
    holdout: list[str] = setting(["sheep"], "never trained on; listing one in `categories` is an error")
    train_generator: str = setting("progan", 'test sets of this generator are "seen generator"')
    train_per_class: int = setting(25000, "training images per class, split evenly over the n categories", low=1)
    val_per_class: int = setting(
        2000, "validation images per class: the tested weights are chosen on them (the same for every n)", low=1
    )
    test_per_class: int = setting(2000, "the cap per class of each test set", low=1)
    image_size: int = setting(256, "pixels of the square centre crop (smaller images are enlarged first)", low=1)
    batch_size: int = setting(64, "images per training batch, per device", low=1)
    eval_batch_size: int | None = setting(
        128, "images per evaluation batch, per device, or null for data.batch_size", low=1
    )
    num_workers: int = setting(4, "DataLoader worker processes; 0 decodes in the main process", low=0)
    seed: int = setting("${seed}", "the training sample's seed (and augment='s draws): the run's seed", low=0)
    split_seed: int = setting(
        0, "the seed of the validation split and test samples: the same for every run of a sweep", low=0, high=SEED_MAX
    )
    allow_shortfall: bool = setting(False, "true: a category short of its quota uses what exists (recorded)")
    small_images: str = setting(
        "enlarge",
        "an image smaller than image_size: enlarge (bicubic; counted, marked in file_lists.csv), skip or error",
        choices=("enlarge", "skip", "error"),
    )
    strict: bool = setting(False, "true: an unreadable or non-image file is an error instead of skipped")
    max_pixels: int = setting(
        89478485,
        "the pixel budget: an image whose header claims more is skipped (counted, listed), never decoded",
        low=1,
    )
    cache: bool = setting(False, "true: decode each class folder once into a memory-mapped uint8 array")
    cache_dir: str | None = setting(None, "where the decoded cache goes; null: ROOT/.fakeid-cache")


@dataclass
class ModelConfig:
    """conf/model: timm's backbone with our head, Dropout(drop_rate) -> Linear(features, 1); Adam."""

    _target_: str = "fakeid.models.detector.FakeImageDetector"
    name: str = setting("legacy_xception", "any timm name timm.is_model accepts, tags included (resnet50.tv_in1k)")
    drop_rate: float = setting(
        0.0,
        "the swept dropout ratio on the pooled features; 1 would drop every feature",
        low=0.0,
        high=1.0,
        high_open=True,
    )
    lr: float = setting(0.001, "Adam's learning rate", low=0.0, low_open=True, high_open=True)
    pretrained_path: str | None = setting(
        None, "local ImageNet weights (.pth/.safetensors) for `name`; null: from scratch"
    )
    hflip: bool = setting(False, "random horizontal flip on the device during training; its new name is augment.hflip")
    compile: bool = setting(False, "torch.compile the network (GPU)")
    bn_recalibration_batches: int = setting(
        0, "batches of precise BN after each epoch (re-estimated BatchNorm statistics); 0: none", low=0
    )
    channels_last: bool | None = setting(
        None, "memory layout, a speed option outside the identity: null = NHWC on every device; false = NCHW"
    )


@dataclass
class ProbeConfig:
    """conf/model/probe: a frozen image tower with our head, UniversalFakeDetect's linear probe on any timm tower
    (fakeid.models.probe); only the head trains, the tower's features are computed once per image and cached."""

    _target_: str = "fakeid.models.probe.ProbeDetector"
    name: str = setting("resnet18", "the tower: any timm name (tags too); frozen")
    weights: str | None = setting(None, "the tower's weights, a local .pth/.safetensors file (nothing is downloaded)")
    random_tower: bool = setting(
        False, "true: with weights=null, probe a randomly initialised tower on purpose (tests)"
    )
    drop_rate: float = setting(
        0.0, "the swept dropout ratio on the tower's features", low=0.0, high=1.0, high_open=True
    )
    lr: float = setting(0.001, "Adam's learning rate (the head only)", low=0.0, low_open=True, high_open=True)
    hflip: bool = setting(False, "must stay false: features are cached per image, so no augmentation", choices=(False,))
    compile: bool = setting(False, "torch.compile the network (GPU)")
    bn_recalibration_batches: int = setting(
        0, "must stay 0: the frozen tower keeps its weights' BatchNorm statistics", choices=(0,)
    )
    feature_cache: bool = setting(True, "cache each image's features (false: the tower runs every epoch; same result)")
    feature_cache_dir: str | None = setting(None, "a folder keeping the features across runs; null: in memory")
    channels_last: bool | None = setting(None, "memory layout, a speed option outside the experiment's identity")


@dataclass
class AugmentConfig:
    """conf/augment/none: no training-time augmentation (the paper's); the keys every choice shares."""

    name: str = setting("none", "the augmentation; recorded in a run's identity only when it changes images")
    crop: str = setting(
        "center",
        "center | random: a random crop of data.image_size for training (val/test: always centre)",
        choices=("center", "random"),
    )
    hflip: bool | None = setting(None, "random horizontal flip during training; null: model.hflip decides")


@dataclass
class BlurJpegConfig(AugmentConfig):
    """conf/augment/blur_jpeg: CNNDetection's blur and JPEG (Wang et al. 2020)."""

    blur_prob: float = setting(0.5, "the chance of a Gaussian blur", low=0, high=1)
    blur_sigma: Any = setting(
        [0.0, 3.0], "the blur's sigma in pixels, uniform in [a, b]", interval=True, low=0, high=BLUR_SIGMA_MAX
    )
    jpeg_prob: float = setting(0.5, "the chance of a JPEG re-encoding (after the blur)", low=0, high=1)
    jpeg_quality: Any = setting(
        [30, 100], "JPEG quality, uniform over the whole numbers of [a, b]", interval=True, low=1, high=100, whole=True
    )
    joint: bool = setting(False, "false: two independent draws (Frank et al. 2021); true: one draw decides both")


@dataclass
class ResizeAugmentConfig(AugmentConfig):
    """conf/augment/resize: an antialiased down-scale."""

    prob: float = setting(0.5, "the chance of a down-scale", low=0, high=1)
    scale: Any = setting([0.5, 1.0], "the factor's range, uniform", interval=True, low=0, low_open=True, high=1)


@dataclass
class FormatAugmentConfig(AugmentConfig):
    """conf/augment/format: every training image brought to one format."""

    format: str = setting("jpeg", "the one format every training image is brought to", choices=FORMATS)
    quality: Any = setting(
        [75, 95],
        "format=jpeg only: the JPEG quality, whole numbers in [a, b]",
        interval=True,
        low=1,
        high=100,
        whole=True,
    )


@dataclass
class TrainerConfig(dict[str, Any]):
    """conf/trainer: Lightning's Trainer (`_target_`); open to any of its arguments (`+trainer.ARG=VALUE`)."""

    _target_: str = "pytorch_lightning.Trainer"
    accelerator: str = setting("cpu", "where training runs: cpu | gpu (or any accelerator Lightning knows)")
    devices: Any = setting(
        1, "devices (processes) of one run; more than 1 is DDP (trainer=ddp, ddp_cpu)", check=lightning_devices
    )
    precision: str = setting("32-true", "Lightning's precision: 32-true (fp32) | bf16-mixed | ...")
    max_epochs: int = setting(50, "epochs to train (the paper's 50); Lightning's -1 (no limit) would never stop", low=1)
    num_sanity_val_steps: int = setting(0, "validation batches before training; -1: all", low=-1)
    log_every_n_steps: int = setting(10, "a row of logs/metrics.csv every this many training steps", low=1)
    enable_progress_bar: bool = setting(True, "false: no progress bar (its callback is then dropped)")
    deterministic: bool = setting(False, "true: torch's deterministic algorithms only (slower)")

    @staticmethod
    def extra_keys() -> frozenset[str]:
        # deferred: Lightning takes seconds to import, and only a node holding an undeclared key asks
        import inspect

        import pytorch_lightning as pl

        return frozenset(inspect.signature(pl.Trainer.__init__).parameters) - {"self"}


@dataclass
class DDPTrainerConfig(TrainerConfig):
    """conf/trainer/ddp, ddp_cpu: DistributedDataParallel."""

    strategy: str = setting("ddp", "DistributedDataParallel (over gloo on the CPU)")
    sync_batchnorm: bool = setting(False, "BatchNorm statistics over every process's batch")


class NamedNodes(dict[str, Any]):
    """A node of named Lightning objects (callbacks, loggers), each a `_target_` node: open, so that
    `~callbacks.progress_bar` drops one and `+callbacks.NAME={_target_: ...}` adds one, as Hydra documents; the
    declared ones keep their types and ranges. (A closed dataclass node refuses deletion.)"""

    any_key = True


@dataclass
class ProgressBarConfig:
    _target_: str = "pytorch_lightning.callbacks.TQDMProgressBar"
    refresh_rate: int = setting(1, "steps between progress-bar updates; 0: hidden", low=0)


@dataclass
class CheckpointConfig:
    _target_: str = "fakeid.training.callbacks.checkpointing"
    dirpath: str = setting("${hydra:runtime.output_dir}/checkpoints", "the run folder's checkpoints/")
    resumable: bool = setting(
        True,
        "false: best.ckpt and last.ckpt hold the weights only (no optimizer state: a third of the bytes) and an "
        "interrupted run starts over instead of resuming; for runs shorter than their checkpoints cost "
        "(make demo's). Never changes what a run computes",
    )


@dataclass
class CallbacksConfig(NamedNodes):
    """conf/callbacks/default: the checkpoint callback and the progress bar."""

    checkpoint: CheckpointConfig = setting(CheckpointConfig(), "the run folder's checkpoints")
    progress_bar: ProgressBarConfig = setting(ProgressBarConfig(), "the progress bar")


@dataclass
class CheckpointOnlyConfig(NamedNodes):
    """conf/callbacks/checkpoint_only: no progress bar."""

    checkpoint: CheckpointConfig = setting(CheckpointConfig(), "the run folder's checkpoints")


@dataclass
class CSVLoggerConfig:
    _target_: str = "fakeid.training.logs.ResumableCSVLogger"
    save_dir: str = setting("${hydra:runtime.output_dir}", "the run folder")
    name: str = setting("logs", "logs/metrics.csv in it, appended across resumes")
    version: str = setting("", 'no version_N/ folder under logs/ ("")')


@dataclass
class TensorBoardConfig:
    _target_: str = "pytorch_lightning.loggers.TensorBoardLogger"
    save_dir: str = setting("${hydra:runtime.output_dir}", "the run folder")
    name: str = setting("tensorboard", "the events under tensorboard/ in it")
    version: str = setting("", 'no version_N/ folder under tensorboard/ ("")')


@dataclass
class MLflowConfig:
    _target_: str = "fakeid.training.tracking.TrackedMLFlowLogger"
    tracking_uri: str = setting(
        "${oc.env:MLFLOW_TRACKING_URI,http://127.0.0.1:5000}", "the server (MLFLOW_TRACKING_URI when set)"
    )
    experiment_name: str | None = setting(None, "null: the sweep folder's name (a single run: experiment_name)")
    http_retries: int = setting(
        2, "retries of a failed request: a server that is down costs seconds, not minutes", low=0
    )
    http_timeout_s: int = setting(10, "seconds one request may take", low=1)


@dataclass
class WandbConfig:
    _target_: str = "fakeid.training.tracking.TrackedWandbLogger"
    project: str = setting("${oc.env:WANDB_PROJECT,fakeid}", "the W&B project (WANDB_PROJECT when set)")
    entity: str | None = setting(None, "the W&B team or user; null: the account's default")
    group: str | None = setting(None, "null: the sweep folder's name (a single run: experiment_name)")
    save_dir: str = setting("${hydra:runtime.output_dir}", "the run folder: wandb/ in it")


@dataclass
class NoLoggerConfig(NamedNodes):
    """conf/logger/none: no logger."""


@dataclass
class CSVLoggersConfig(NamedNodes):
    """conf/logger/csv: logs/metrics.csv in the run folder."""

    csv: CSVLoggerConfig = setting(CSVLoggerConfig(), "the CSV log")


@dataclass
class TensorBoardLoggersConfig(NamedNodes):
    """conf/logger/tensorboard."""

    tensorboard: TensorBoardConfig = setting(TensorBoardConfig(), "TensorBoard's events")


@dataclass
class MLflowLoggersConfig(CSVLoggersConfig):
    """conf/logger/mlflow: the CSV log and an MLflow run."""

    mlflow: MLflowConfig = setting(MLflowConfig(), "the MLflow run")


@dataclass
class WandbLoggersConfig(CSVLoggersConfig):
    """conf/logger/wandb: the CSV log and a W&B run."""

    wandb: WandbConfig = setting(WandbConfig(), "the W&B run")


@dataclass
class PathsConfig:
    outputs: str = setting(
        "${oc.env:FAKEID_OUTPUTS,outputs}", "runs and sweeps land here (relative to the working directory)"
    )


@dataclass
class TrainConfig(dict[str, Any]):
    """python -m fakeid.train: the groups, and the run's own keys."""

    data: Any = setting(MISSING, "the category mix and its loaders: conf/data")
    model: Any = setting(MISSING, "the detector: conf/model")
    augment: Any = setting(MISSING, "training-time augmentation: conf/augment")
    trainer: Any = setting(MISSING, "Lightning's Trainer: conf/trainer")
    callbacks: Any = setting(MISSING, "Lightning's callbacks: conf/callbacks")
    logger: Any = setting(MISSING, "the loggers and trackers: conf/logger")
    paths: PathsConfig = setting(PathsConfig(), "where outputs go")
    seed: int = setting(
        0, "the run's seed: weights, batch order and the training sample of each category", low=0, high=SEED_MAX
    )
    experiment_name: str = setting(
        "adhoc", "names the sweep folder outputs/sweeps/<experiment_name>; experiments set it"
    )
    select: str = setting(
        "best",
        "which weights are tested: best (lowest val/loss) or last epoch; never test data",
        choices=("best", "last"),
    )
    keep_checkpoints: str = setting(
        "tested",
        "after a run finished ok: tested = only the tested weights, without optimizer state; all = best.ckpt and "
        "last.ckpt as they are; none = no weights",
        choices=("tested", "all", "none"),
    )

    @staticmethod
    def extra_keys() -> frozenset[str]:
        return frozenset({"launcher"})  # launcher=slurm's own node (GPUs per node by accelerator)


# ============================================================================= fakeid.eval
def _perturb_levels(value: Any) -> str | None:
    """a list of perturbation levels, each {name: KIND, its keys} as conf/perturb/KIND.yaml"""
    from fakeid.core.schema import mapping_problem

    if not isinstance(value, list):
        return "expected a list of levels, e.g. [{name: jpeg, quality: 75}]"
    for index, level in enumerate(value):
        kind = PERTURBATIONS.get(str(level.get("name", "none"))) if isinstance(level, dict) else None
        if kind is None:
            return f"level {index}: expected {{name: KIND, ...}} with KIND one of {', '.join(PERTURBATIONS)}"
        problem = mapping_problem(level, kind, f"levels[{index}].")
        if problem:
            return problem
    return None


@dataclass
class PerturbConfig:
    """conf/perturb/none: images as they are."""

    name: str = setting("none", "the perturbation, recorded in metrics.json and every test entry")


@dataclass
class JpegPerturbConfig(PerturbConfig):
    quality: int = setting(75, "JPEG quality (4:2:0 chroma subsampling)", low=1, high=100)


@dataclass
class BlurPerturbConfig(PerturbConfig):
    sigma: float = setting(1.0, "the Gaussian blur's sigma in pixels", low=0, high=BLUR_SIGMA_MAX)


@dataclass
class NoisePerturbConfig(PerturbConfig):
    sigma: float = setting(5.0, "the Gaussian noise's sigma on the 0-255 scale", low=0)


@dataclass
class ResizePerturbConfig(PerturbConfig):
    scale: float = setting(0.5, "the down-scale factor", low=0, low_open=True, high=1)


@dataclass
class FormatPerturbConfig(PerturbConfig):
    format: str = setting("jpeg", "the format every test image is brought to", choices=FORMATS)
    quality: int = setting(75, "format=jpeg only: the JPEG quality", low=1, high=100)


PERTURBATIONS: dict[str, type] = {
    "none": PerturbConfig,
    "jpeg": JpegPerturbConfig,
    "blur": BlurPerturbConfig,
    "noise": NoisePerturbConfig,
    "resize": ResizePerturbConfig,
    "format": FormatPerturbConfig,
}


@dataclass
class EvalDataConfig:
    root: str | None = setting(
        None,
        "a full root (ROOT/test/...), a <generator>/[<category>/]{0_real,1_fake} folder, or a bare {0_real,1_fake}",
    )
    test_per_class: int | None = setting(None, "cap per class of each set (null: the run's)", low=1)
    split_seed: int | None = setting(
        None, "the seed of the test samples (and of noise); null: the run's", low=0, high=SEED_MAX
    )
    image_size: int | None = setting(None, "null: the checkpoint's", low=1)
    eval_batch_size: int = setting(128, "images per batch while scoring", low=1)
    num_workers: int = setting(0, "loader worker processes", low=0)
    cache: bool = setting(
        False, "decoded (and perturbed) images cached per folder and level, shared across a grid's runs"
    )
    cache_dir: str | None = setting(None, "null: ROOT/.fakeid-cache")
    strict: bool = setting(False, "true: an unreadable file is an error instead of skipped (counted, listed)")
    small_images: str | None = setting(
        None, "enlarge | skip | error; null: the run's", choices=("enlarge", "skip", "error")
    )


@dataclass
class EvalConfig:
    """python -m fakeid.eval: a run (or checkpoint) on test sets, or a sweep's runs at every level of a grid."""

    perturb: Any = setting(MISSING, "the perturbation of the test images: conf/perturb")
    paths: PathsConfig = setting(PathsConfig(), "where outputs go")
    run: str | None = setting(
        None, "a finished fakeid.train run folder: its tested checkpoint, threshold and categories"
    )
    ckpt: str | None = setting(None, "or any checkpoint fakeid.train wrote (threshold unknown unless given)")
    threshold: float | None = setting(
        None, "override the run's validation-calibrated threshold (a probability of fake)", low=0, high=1
    )
    sweep: str | None = setting(None, "a training sweep folder: evaluate every ok run at every level of `levels`")
    levels: Any | None = setting(
        None, "the grid's perturbation levels, e.g. [{name: jpeg, quality: 75}]", check=_perturb_levels
    )
    sets: list[str] | None = setting(
        None, 'only test sets whose name matches one of these globs, e.g. ["progan/sheep"]'
    )
    jobs: int = setting(1, "a grid's runs evaluated this many at a time, in worker processes sharing the cores", low=1)
    experiment_name: str = setting("adhoc", "grids land in outputs/evals/<experiment_name>/<sweep folder name>/")
    device: str = setting("cpu", "cpu | cuda | auto (cuda when there is one)", choices=DEVICES)
    precision: str | None = setting(None, "autocast precision; null: the run's trainer.precision")
    data: EvalDataConfig = setting(EvalDataConfig(), "the test data")


# ============================================================================= the flat commands
@dataclass
class PredictConfig:
    """python -m fakeid.predict: score image files with a trained or exported detector."""

    paths: PathsConfig = setting(PathsConfig(), "where outputs go")
    run: str | None = setting(
        None, "a finished fakeid.train run folder (its tested checkpoint and calibrated threshold)"
    )
    ckpt: str | None = setting(None, "or a checkpoint file (threshold 0.5 unless threshold= is given)")
    exported: str | None = setting(None, "or a file written by fakeid.export: .onnx (onnxruntime, no torch) or .pt")
    input: Any | None = setting(None, "an image, a folder (recursive), a .txt list of paths, or several: input=[a,b]")
    out: str | None = setting(None, "the CSV; null: predictions.csv in this command's folder (hydra.run.dir)")
    overwrite: bool = setting(
        False, "true: replace an existing out= (and explain/ beside it); a run folder's own files never"
    )
    crop: str = setting(
        "center",
        "center (the training crop) | none (whole image) | tiles (mean over tiles)",
        choices=("center", "none", "tiles"),
    )
    min_size: int = setting(32, "an image with a side under this many pixels is not scored (an error row)", low=1)
    max_tiles: int = setting(16, "crop=tiles: at most this many tiles per image, spread evenly over the grid", low=1)
    max_pixels: int = setting(
        89478485, "an image whose header claims more pixels is an error row, never decoded", low=1
    )
    batch_size: int = setting(32, "images (crops) per batch", low=1)
    device: str = setting("cpu", "cpu | cuda | auto (cuda when there is one)", choices=DEVICES)
    threshold: float | None = setting(
        None, "override the verdict threshold (default: the run's calibrated one, else 0.5)", low=0, high=1
    )
    progress: bool | None = setting(None, "null: a progress bar above 20 images; true | false to force")
    explain: str = setting(
        "none",
        "none | gradcam | layercam: a class-activation overlay PNG per scored image in explain/ beside the CSV",
        choices=("none", "gradcam", "layercam"),
    )
    explain_raw: bool = setting(
        False, "true: also the map itself as .npy (float32, the image's size, scaled to [0, 1])"
    )
    explain_layer: str | None = setting(None, "the backbone module to explain; null: the one the global pool reads")


@dataclass
class ExportConfig:
    """python -m fakeid.export: a trained detector as ONNX or TorchScript."""

    run: str | None = setting(
        None, "a finished fakeid.train run folder (its tested checkpoint, threshold, categories, size)"
    )
    ckpt: str | None = setting(None, "or a checkpoint file")
    threshold: float | None = setting(None, "override the threshold stored in the file", low=0, high=1)
    format: str = setting("onnx", "onnx | torchscript", choices=("onnx", "torchscript"))
    out: str | None = setting(None, "the file to write (required), e.g. detector.onnx or detector.pt")
    overwrite: bool = setting(
        False, "true: replace an existing out= file (a run folder's own files are never replaced)"
    )
    check: bool = setting(True, "compare the written file with the PyTorch detector (max difference <= 1e-4)")


@dataclass
class CollectConfig:
    """python -m fakeid.collect: metrics.json folders -> one tidy results CSV."""

    sweeps: Any = setting(MISSING, "one folder (sweeps=DIR) or a list (sweeps=[DIR1,DIR2])")
    out: str | None = setting(None, "the CSV to write; null: <first folder>/results.csv")
    data_root: str | None = setting(
        None, "runs of several datasets are refused; ROOT (or ROOT:FINGERPRINT) keeps that one's"
    )
    n_boot: int = setting(2000, "bootstrap replicates of each set's AP/AUROC interval over its images", low=1)
    bootstrap_seed: int = setting(0, "seeds the resampling: the same table on every machine", low=0)


FIGURES: tuple[str, ...] = (
    "fig1",
    "fig2",
    "fig3",
    "fig3_deconvgan",
    "figR",
    "formatbias",
    "figA",
    "compare",
    "plan",
    "calibration",
)
FIGURES += ("simulate", "all")
ONE_PROCESS_FIGURES = FIGURES[:-2]  # figure=[...]: several in one process (not simulate, which reads no table)


def _figure_names(value: Any) -> str | None:
    """one figure name, or a list of names drawn in one process (figure=[fig2,compare])"""
    if isinstance(value, str) and value in FIGURES:
        return None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(name, str) and name in ONE_PROCESS_FIGURES for name in value)
        and len(set(value)) == len(value)
    ):
        return None
    return (
        f"expected one of {', '.join(FIGURES)}, or a list of distinct names of {', '.join(ONE_PROCESS_FIGURES)} "
        "(figure=[fig2,fig3,compare])"
    )


@dataclass
class FiguresConfig:
    """python -m fakeid.figures: figures, comparisons and plans from results CSVs of fakeid.collect."""

    figure: Any = setting(
        "all",
        "which figure (all: every one the tables support); a list draws each in one process, into out's folders",
        check=_figure_names,
    )
    csv: Any | None = setting(
        None, "one results CSV (csv=A.csv) or a list (csv=[A.csv,B.csv]), concatenated; or sweeps= (at least one)"
    )
    sweeps: Any | None = setting(
        None,
        "sweep or evaluation folders to collect first, each into its own results.csv as `fakeid.collect sweeps=DIR` "
        "does (with n_boot, bootstrap_seed), then drawn with csv=",
    )
    out: str = setting(
        "outputs/figures",
        "the folder for the figures; with figure=[...], compare, plan and calibration go to out/NAME/SWEEP",
    )
    per_figure: Any | None = setting(
        None, "with figure=[...]: one figure's keys over the shared ones, e.g. per_figure={plan:{effect:0.2}}"
    )
    drop_rate: float | None = setting(
        None, "fig1, figA: the dropout ratio to plot (null: the best covered)", low=0, high=1
    )
    num_categories: int | None = setting(
        None, "fig3: the number of training categories to plot (null: the best covered)", low=1
    )
    baseline: Any | None = setting(None, "the level every other level is compared with (null: the smallest)")
    variable: str | None = setting(None, "the swept column to compare (null: the one the table varies)")
    n_boot: int = setting(2000, "bootstrap replicates (seeds and one image resample of each test set)", low=1)
    bootstrap_seed: int = setting(0, "seeds the resampling: the same numbers on every machine", low=0)
    effect: float = setting(
        0.05,
        "compare.md, figure=plan: the seeds and images a difference of this size needs",
        low=0,
        low_open=True,
        high=1,
    )
    sim_sweeps: int = setting(1000, "figure=simulate: simulated sweeps per case (its n_boot is n_boot)", low=1)
    run: str | None = setting(None, "calibration: only this run folder")
    level: Any | None = setting(None, "calibration: only the runs of this level of the swept variable")
    min_bin_count: int = setting(10, "calibration: a bin with fewer images is drawn grey, outside the line", low=1)


@dataclass
class ReportConfig:
    """python -m fakeid.report: a static site of training sweeps and evaluation folders."""

    sweeps: Any = setting(MISSING, "one folder (sweeps=DIR) or a list (sweeps=[DIR1,DIR2])")
    out: str = setting(
        "outputs/report", "the report folder: new, empty, or an earlier report (replaced with overwrite=true)"
    )
    overwrite: bool = setting(
        False, "true: replace an earlier report in out= (a folder of other files is never replaced)"
    )
    k: int = setting(
        8, "gallery: images per test-set group, of reals scored most fake and fakes scored most real", low=1
    )
    spectra: bool = setting(True, "the spectra of the runs' data root (as fakeid.check spectra=true)")
    spectra_per_class: int = setting(50, "at most this many images per class and scope, a seeded sample", low=1)
    spectra_seed: int = setting(0, "the sample's seed", low=0)
    figures: Any | None = setting(None, "extra folders of figures (PNG, with their PDF/CSV/MD) to show")
    drawn: Any | None = setting(
        None,
        "folders fakeid.figures drew into: a figure drawn there from exactly the rows and keys used here is copied",
    )
    data_root: str | None = setting(None, "as fakeid.collect: ROOT (or ROOT:FINGERPRINT) keeps the runs of one dataset")
    title: str | None = setting(None, 'the page title; null: "fakeid report: <folder names>"')


@dataclass
class PrepareConfig:
    """python -m fakeid.prepare: fakeid's data layout from LSUN, CNNDetection or two folders."""

    data: Any = setting(MISSING, "the category mix and its loaders: conf/data")
    source: str = setting(MISSING, "lsun | cnndetection | folder", choices=("lsun", "cnndetection", "folder"))
    out: str = setting(MISSING, "a new or empty folder, or the same folder of an earlier run with the same keys")
    src: str | None = setting(None, "lsun: an LMDB database or a folder of them; cnndetection: the extracted trees")
    per_category: int | None = setting(None, "lsun: images per category", low=1)
    seed: int = setting(0, "lsun: the seeded order the keys are taken in", low=0)
    categories: list[str] | None = setting(None, "lsun: which databases (default: all under src)")
    real: str | None = setting(None, "folder: the real images")
    fake: str | None = setting(None, "folder: the generated images")
    mode: str = setting("link", "folder: link | copy", choices=("link", "copy"))


@dataclass
class CheckConfig:
    """python -m fakeid.check: count, hash and inspect every image under root=ROOT."""

    data: Any = setting(MISSING, "the category mix and its loaders: conf/data")
    root: str = setting(MISSING, "the folder holding train/ [val/] test/")
    out: str | None = setting(None, "where check.json goes; null: ROOT/check.json")
    decode: bool = setting(True, "false: read headers only (faster; truncated files go unnoticed)")
    workers: int = setting(1, "processes that read and hash files", low=1)
    spectra: bool = setting(False, "true: also the Fourier spectra of high-pass residuals, real vs fake")
    spectra_per_class: int = setting(200, "at most this many images per class and scope, a seeded sample", low=1)
    spectra_seed: int = setting(0, "the sample's seed", low=0)
    spectra_size: int | None = setting(None, "the centre crop's side; null: the smallest side sampled (<= 256)", low=1)


def _synth_size(value: Any) -> str | None:
    """an integer of at least 8"""
    return (
        None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 8
        else "expected an integer of at least 8"
    )


@dataclass
class SynthConfig:
    """python -m fakeid.synth: the embedded synthetic benchmark, deterministically."""

    out: str = setting(MISSING, "a new or empty folder (or an earlier benchmark's, with overwrite=true)")
    preset: str = setting("tiny", "tiny (seconds, for tests) | demo (make demo)", choices=("tiny", "demo"))
    seed: int = setting(0, "content seed; same preset, keys and seed give byte-identical files", low=0)
    overwrite: bool = setting(False, "true: replace the fakeid.synth benchmark already in `out`")
    progress: bool = setting(True, "a progress bar on stderr")
    image_size: int | None = setting(
        None, "side of every image in pixels (divisible by upsample_factor)", check=_synth_size
    )
    train_per_class: int | None = setting(None, "images per class in each train/<category>", low=1)
    test_per_class: int | None = setting(None, "images per class in each test/<generator>/<category>", low=1)
    upsample_factor: int | None = setting(
        None, "fakes are rendered this many times smaller and upsampled", choices=(2, 4)
    )
    jpeg_quality: int | None = setting(
        None, "0: reals are PNG like fakes; 1..100: reals are JPEG at this quality", low=0, high=100
    )


BENCH_PARTS = ("reference", "loader", "train", "eval", "formats")


def _bench_parts(value: Any) -> str | None:
    """a list of parts: reference, loader, train, eval, formats"""
    if isinstance(value, list) and value and all(part in BENCH_PARTS for part in value):
        return None
    return f"expected a list of parts from {', '.join(BENCH_PARTS)}, e.g. parts=[reference,loader]"


def _sizes(value: Any) -> str | None:
    """a list of image sides of at least 8"""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 8 for v in value)
    ):
        return None
    return "expected a list of image sides of at least 8, e.g. [64,256]"


@dataclass
class BenchConfig:
    """python -m fakeid.bench: how fast this machine loads, trains and evaluates, on PNGs it writes itself."""

    augment: Any = setting(MISSING, "training-time augmentation: conf/augment")
    device: str = setting("auto", "cpu | cuda | auto (cuda when there is one)", choices=DEVICES)
    size: Any = setting("auto", "image side; auto: 256 on cuda, 64 on cpu", low=1, auto=True)
    batch: Any = setting("auto", "training batch; auto: 64 on cuda, 32 on cpu", low=1, auto=True)
    eval_batch: Any = setting("auto", "auto: 2 x batch", low=1, auto=True)
    images: Any = setting(
        "auto", "synthetic PNGs written first (half real, half fake); auto: 2048 on cuda, 256 on cpu", low=2, auto=True
    )
    workers: Any = setting(
        "auto", "loader worker processes; auto: min(8, cpus) on cuda, min(2, cpus) on cpu", low=0, auto=True
    )
    steps: Any = setting("auto", "timed training steps per repeat; auto: 100 on cuda, 24 on cpu", low=1, auto=True)
    warmup: Any = setting(
        "auto", "untimed steps before each repeat's timed ones; auto: 20 on cuda, 3 on cpu", low=0, auto=True
    )
    repeats: int = setting(5, "interleaved Lightning / plain-loop pairs (train), rounds (formats)", low=1)
    precision: str = setting(
        "auto",
        "auto (bf16-mixed on cuda, 32-true on cpu) | 32-true | bf16-mixed",
        choices=("auto", "32-true", "bf16-mixed"),
    )
    channels_last: Any = setting("auto", "auto: the detector's default | true | false", choices=("auto", True, False))
    compile: bool = setting(False, "torch.compile the network (as model.compile=true)")
    backbone: str = setting("legacy_xception", "any timm model name, as model.name of fakeid.train")
    source: str = setting("cache", "what the train/eval loaders read: cache | png", choices=("cache", "png"))
    parts: Any = setting(
        ["reference", "loader", "train", "eval"], "what to measure (reference: fixed settings)", check=_bench_parts
    )
    loader_seconds: float = setting(2.0, "least time each loader measurement runs", low=0, low_open=True)
    augment_sizes: Any = setting([64, 256], "image sides of the augmentation's measurement", check=_sizes)
    seed: int = setting(0, "the synthetic PNGs and the networks' initial weights", low=0)
    workdir: str | None = setting(None, "where images and cache go; null: a temporary folder, removed afterwards")
    out: str = setting("outputs/bench.json", "the JSON is also printed on stdout")


@dataclass
class DemoTimingConfig:
    """python -m fakeid.demo_timing: the demo's wall time, against the reference unit."""

    started: float = setting(MISSING, "when the demo started, seconds since the epoch (the Makefile records it)", low=0)
    reference: str = setting(
        MISSING, "a fakeid.bench JSON with its reference part (python -m fakeid.bench parts=[reference] out=FILE)"
    )
    sweeps: Any = setting(["outputs/sweeps/demo_categories", "outputs/sweeps/demo_dropout"], "the sweeps the demo ran")
    jobs: Any = setting(
        "auto",
        "runs side by side; auto: the sweeps' hydra.launcher.n_jobs (multirun.yaml), 1 without one",
        low=1,
        auto=True,
    )
    marks: str | None = setting(
        None, "a file of 'STEP UNIX_TIME' lines, one after each demo step (the Makefile's): each step's wall time"
    )
    out: str = setting("outputs/demo_timing.json", "the JSON written (also printed)")


PREPROCESS_CHOICES = ("peer", "fakeid")  # fakeid.published's preprocess= (fakeid.ingest.published)


@dataclass
class PublishedConfig:
    """python -m fakeid.published: a published detector's checkpoint as a fakeid run folder."""

    source: str | None = setting(
        None,
        "whose checkpoint weights= is: cnndetection | ufd | npr (null for a folder: recognised by content)",
        choices=("cnndetection", "ufd", "npr"),
    )
    weights: str | None = setting(
        None, "the peer's weight file (blur_jpg_prob0.5.pth, fc_weights.pth, NPR.pth), or a folder of them"
    )
    clip_weights: str | None = setting(None, "source=ufd: the CLIP ViT-L/14 open_clip state dict, a local file")
    clip_model: str = setting(
        "ViT-L-14-quickgelu",
        "source=ufd: the CLIP tower's architecture: an open_clip model name, or an open_clip model config JSON "
        "file (embed_dim, vision_cfg) for another tower, whose content the run records",
    )
    preprocess: str = setting(
        "peer",
        "how the run's images become the network's input: peer (the peer's own evaluation: torchvision's "
        "CenterCrop for cnndetection/ufd, NPR's Resize((256, 256))) | fakeid (fakeid's centre crop, as a trained run)",
        choices=PREPROCESS_CHOICES,
    )
    out: str | None = setting(None, "the run folder to write (a folder of run folders for a folder of weights)")
    overwrite: bool = setting(False, "true: replace an existing out= folder (never a training run's own files)")


# every stage fakeid.bench_scale times, in the order it runs them; the default is all. On the generated tree
# (fakeid.benchmark.scale):
SCALE_TREE_STAGES: tuple[str, ...] = (
    "prepare",
    "check_headers",
    "check",
    "check_spectra",
    "plan",
    "fingerprint",
    "cache_build",
)
SCALE_TREE_STAGES += ("loader_jpeg", "loader_cache")
# the commands after training (fakeid.benchmark.scale_commands): one eval over a growing test set, then collect,
# the figures, the comparison and the report over a generated record set of growing runs
SCALE_COMMAND_STAGES: tuple[str, ...] = ("eval", "collect", "fig1", "fig2", "fig3", "compare", "report")
SCALE_STAGES: tuple[str, ...] = SCALE_TREE_STAGES + SCALE_COMMAND_STAGES


def _fractions(value: Any) -> str | None:
    """a list of fractions in (0, 1] of the paper's per-class counts"""
    if isinstance(value, list) and value and all(is_number(v) and 0 < v <= 1 for v in value):
        return None
    return "expected a list of fractions in (0, 1] of the paper's per-class counts, e.g. [0.0025,0.01]"


def _counts(value: Any) -> str | None:
    """a list of whole numbers >= 1"""
    if isinstance(value, list) and value and not any(integer_problem(v, low=1) for v in value):
        return None
    return "expected a list of integers of at least 1, e.g. [250,500]"


@dataclass
class BenchScaleConfig:
    """python -m fakeid.bench_scale: the stages that do not train, timed at growing paper-shaped data."""

    sizes: Any = setting(
        [0.0025, 0.01, 0.04],
        "fractions of the paper's counts (25K per category and class, 2K per test set)",
        check=_fractions,
    )
    stages: list[str] = setting(
        list(SCALE_STAGES),
        "the stages timed (fakeid.benchmark.scale.STAGES)",
    )
    eval_sizes: list[int] = setting(
        [250, 500, 1000, 2000],
        "eval: test images per class of the one set evaluated (the paper's: 2000)",
        check=_counts,
    )
    record_seeds: list[int] = setting(
        [1, 2, 4],
        "collect, figures, report: seeds per grid point of the record set (4 runs a seed)",
        check=_counts,
    )
    record_per_class: int = setting(2000, "images per class of each of the record set's 15 test sets", low=1)
    work: str = setting(
        "/tmp/fakeid-bench-scale", "where each size's tree is generated, then removed (4 % of the paper: about 0.6 GB)"
    )
    isolate: bool = setting(True, "each stage in a process of its own (its own peak RSS); false: in this process")
    image_size: int = setting(256, "the side of the generated JPEGs and of the loader's crops", low=8)
    loader_seconds: float = setting(
        3.0, "timed seconds of each loader rate (after one untimed epoch)", low=0, low_open=True
    )
    reference: str | None = setting(
        None, "a fakeid.bench JSON with its reference part: each time also in reference images"
    )
    calls: bool = setting(
        False,
        "also count each data stage's Python and builtin calls and fit their growth: an exponent the machine's "
        "load does not move (the loaders are not counted; a counted stage's seconds are slowed by the count)",
    )
    out: str = setting("outputs/bench_scale.json", "the JSON written")


# ============================================================================= registration
COMMANDS: dict[str, type] = {
    "train": TrainConfig,
    "eval": EvalConfig,
    "predict": PredictConfig,
    "export": ExportConfig,
    "collect": CollectConfig,
    "figures": FiguresConfig,
    "report": ReportConfig,
    "prepare": PrepareConfig,
    "check": CheckConfig,
    "synth": SynthConfig,
    "bench": BenchConfig,
    "demo_timing": DemoTimingConfig,
    "published": PublishedConfig,
    "bench_scale": BenchScaleConfig,
}
GROUPS: dict[str, dict[str, type]] = {
    "data": {"paper": DataConfig},
    "model": {"xception": ModelConfig, "probe": ProbeConfig},
    "augment": {
        "none": AugmentConfig,
        "blur_jpeg": BlurJpegConfig,
        "resize": ResizeAugmentConfig,
        "format": FormatAugmentConfig,
    },
    "trainer": {"cpu": TrainerConfig, "ddp": DDPTrainerConfig},
    "callbacks": {"default": CallbacksConfig, "checkpoint_only": CheckpointOnlyConfig},
    "logger": {
        "none": NoLoggerConfig,
        "csv": CSVLoggersConfig,
        "tensorboard": TensorBoardLoggersConfig,
        "mlflow": MLflowLoggersConfig,
        "wandb": WandbLoggersConfig,
    },
    "paths": {"default": PathsConfig},
    "perturb": {name: kind for name, kind in PERTURBATIONS.items()},
}


declare(COMMANDS, GROUPS)


def register() -> None:
    """Every dataclass into Hydra's ConfigStore: schema/<command>, schema/<group>/<name> (idempotent)."""
    from hydra.core.config_store import ConfigStore
    from omegaconf import OmegaConf

    from fakeid.core.schema import help_text

    warnings.filterwarnings("ignore", message=r"Class `\w+` subclasses `Dict`", category=UserWarning)
    if not OmegaConf.has_resolver("fakeid.keys"):
        OmegaConf.register_new_resolver("fakeid.keys", help_text)  # --help's keys (hydra.help.template)
    store = ConfigStore.instance()
    for name, node in COMMANDS.items():
        store.store(group="schema", name=name, node=node)
    for group, choices in GROUPS.items():
        for name, node in choices.items():
            store.store(group=f"schema/{group}", name=name, node=node)

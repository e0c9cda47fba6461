"""The detector: built from conf/model like training builds it, any timm backbone (tags too) through our
dropout head, pretrained weights only from a local file, checkpoints rebuild it (old ones too)."""

import inspect
import json

import pytest
import torch
from torch import nn

from fakeid.core.errors import FakeidError
from fakeid.models.backbone import DetectorNet
from fakeid.models.config import build_detector, model_choices, model_config
from fakeid.models.detector import FakeImageDetector
from fakeid.runs.trained import load_detector
from tests.helpers.commands import run_module
from tests.helpers.layouts import make_layout
from tests.helpers.models import offline_values


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)


def test_head_is_dropout_then_one_logit():
    net = DetectorNet("legacy_xception", 0.3)
    dropout, linear = net.head
    assert isinstance(dropout, nn.Dropout) and dropout.p == 0.3
    assert isinstance(linear, nn.Linear) and linear.in_features == 2048 and linear.out_features == 1


def test_dropout_acts_in_training_and_not_in_eval(images):
    torch.manual_seed(0)
    net = DetectorNet("legacy_xception", 0.5)
    x = net.normalise(images)
    net.train()
    features = net.backbone(x).detach()
    head_outputs = [net.head(features) for _ in range(3)]
    assert not torch.allclose(head_outputs[0], head_outputs[1]), "drop_rate>0 must change train-mode outputs"
    net.eval()
    with torch.no_grad():
        assert torch.equal(net(x), net(x)), "eval-mode outputs must be identical"
    no_dropout = DetectorNet("legacy_xception", 0.0).train()
    assert torch.equal(no_dropout.head(features), no_dropout.head(features))


def test_pretrained_weights_load_from_a_local_state_dict(tmp_path, images):
    donor = DetectorNet("legacy_xception", 0.0).backbone
    with torch.no_grad():
        for parameter in donor.parameters():
            parameter.normal_()
    state = {**donor.state_dict(), "fc.weight": torch.zeros(1000, 2048), "fc.bias": torch.zeros(1000)}
    torch.save(state, tmp_path / "imagenet.pth")
    loaded = DetectorNet("legacy_xception", 0.0, pretrained_path=str(tmp_path / "imagenet.pth"))
    for name, tensor in donor.state_dict().items():
        assert torch.equal(loaded.backbone.state_dict()[name], tensor), name


def test_pretrained_path_that_is_not_a_file_says_how_to_supply_one(tmp_path):
    with pytest.raises(FakeidError, match="is not a file: download the ImageNet weights"):
        DetectorNet("legacy_xception", 0.0, pretrained_path=str(tmp_path / "missing.pth"))


def test_wrong_weights_file_is_a_one_line_error(tmp_path):
    torch.save({"conv1.weight": torch.zeros(1, 1, 1, 1)}, tmp_path / "wrong.pth")
    with pytest.raises(FakeidError, match="does not hold weights for legacy_xception"):
        DetectorNet("legacy_xception", 0.0, pretrained_path=str(tmp_path / "wrong.pth"))


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_drop_rate_outside_0_1_is_an_error(rate):
    with pytest.raises(FakeidError, match="model.drop_rate"):
        DetectorNet("legacy_xception", rate)


def test_checkpoint_rebuilds_the_model_for_inference(tmp_path, images):
    import pytorch_lightning as pl

    detector = build_detector(drop_rate=0.2).eval()
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=0)
    trainer.strategy.connect(detector)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    rebuilt = FakeImageDetector.load_from_checkpoint(tmp_path / "model.ckpt", map_location="cpu").eval()
    assert rebuilt.hparams.drop_rate == 0.2 and rebuilt.hparams.name == "legacy_xception"
    # a checkpoint from before the argument `model_name` became `name` still loads
    payload = torch.load(tmp_path / "model.ckpt", weights_only=True)
    payload["hyper_parameters"]["model_name"] = payload["hyper_parameters"].pop("name")
    torch.save(payload, tmp_path / "old.ckpt")
    old = load_detector(tmp_path / "old.ckpt")
    assert old.hparams.name == "legacy_xception"
    # load_detector skips the random initialisation (every tensor comes from the file): all of them equal
    saved, loaded = detector.state_dict(), old.state_dict()
    assert saved.keys() == loaded.keys() and all(torch.equal(saved[key], loaded[key]) for key in saved)
    with torch.no_grad():
        x = detector.net.normalise(images)
        assert torch.equal(detector(x), rebuilt(x)) and torch.equal(detector(x), old(x))


def test_the_model_yaml_holds_the_defaults_and_its_keys_are_the_constructor_arguments():
    parameters = inspect.signature(FakeImageDetector.__init__).parameters
    assert set(model_config()) - {"_target_"} == set(parameters) - {"self"}
    with_default = [name for name, parameter in parameters.items() if parameter.default is not parameter.empty]
    # the two a checkpoint rebuilds without (they are not saved hyper-parameters): the weights file and the
    # memory layout; every other default lives in conf/model/xception.yaml
    assert with_default == ["pretrained_path", "channels_last"], "defaults live in conf/model/xception.yaml"
    assert model_config()._target_ == "fakeid.models.detector.FakeImageDetector"


@pytest.mark.parametrize("choice", model_choices())
def test_every_model_config_instantiates_with_our_dropout_head(choice, images):
    detector = build_detector(choice, drop_rate=0.25, **offline_values(choice)).eval()
    assert detector.hparams.name == model_config(choice).name
    dropout, linear = detector.net.head
    assert isinstance(dropout, nn.Dropout) and dropout.p == 0.25
    assert linear.in_features == detector.net.backbone.num_features and linear.out_features == 1
    with torch.no_grad():
        assert detector(detector.net.normalise(images)).shape == (4,)


def test_the_choices_include_cnndetections_backbone_and_a_small_one():
    assert {"xception", "demo", "resnet50", "efficientnet_b0"} <= set(model_choices())
    assert model_config("resnet50").name == "resnet50.tv_in1k"


def test_a_tagged_name_picks_its_weights_normalisation():
    net = DetectorNet("resnet50.tv_in1k", 0.0)
    assert torch.allclose(net.mean.flatten(), torch.tensor([0.485, 0.456, 0.406]) * 255)
    assert torch.allclose(DetectorNet("legacy_xception", 0.0).mean.flatten(), torch.full((3,), 0.5 * 255))


@pytest.mark.parametrize(
    "name, message",
    [
        ("no_such_net", "model.name=no_such_net is not a timm model"),
        ("resnet50.no_such_tag", "timm knows no tag 'no_such_tag' for resnet50"),
    ],
)
def test_an_unknown_name_or_tag_is_a_one_line_error(name, message):
    with pytest.raises(FakeidError, match=message):
        build_detector(name=name)


def test_an_unknown_model_choice_or_key_is_a_one_line_error():
    with pytest.raises(FakeidError, match="model=nope: expected one of .*xception"):
        model_config("nope")
    with pytest.raises(FakeidError, match="model.pretrained is not a key of conf/model/xception.yaml"):
        model_config(pretrained=True)


@pytest.mark.slow
@pytest.mark.parametrize("choice", ["resnet50", "efficientnet_b0", "npr"])
def test_other_backbones_train_through_the_same_head(tmp_path, choice):
    root = make_layout(
        tmp_path / "data", categories=["cat"], train_per_class=10, test_per_class=2, test_sets=("progan/sheep",)
    )
    done = run_module(
        "fakeid.train",
        "data=tiny",
        f"data.root={root}",
        "data.categories=[cat]",
        "data.num_categories=1",
        "data.train_per_class=8",
        "data.val_per_class=2",
        f"model={choice}",
        "model.drop_rate=0.5",
        "trainer.max_epochs=1",
        "logger=none",
        "callbacks=checkpoint_only",
        "trainer.enable_progress_bar=false",
        f"paths.outputs={tmp_path / 'outputs'}",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert result["status"] == "ok" and result["hparams"]["model.name"] == model_config(choice).name
    assert [entry["set"] for entry in result["test"]] == ["progan/sheep"]
    trained = load_detector(tmp_path / "run" / "checkpoints" / "tested.ckpt")
    dropout, linear = trained.net.head
    assert dropout.p == 0.5 and linear.in_features == trained.net.backbone.num_features


def test_batchnorm_recalibration_averages_batch_statistics_and_keeps_weights():
    from fakeid.models.batchnorm import recalibrate_batchnorm

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.BatchNorm2d(2)).eval()
    weights = {k: v.clone() for k, v in net.state_dict().items() if "running" not in k and "num_batches" not in k}
    batches = [torch.randn(8, 3, 10, 10) * (i + 1) + i for i in range(4)]
    used = recalibrate_batchnorm(net, batches + [torch.randn(8, 3, 10, 10)], lambda b: b, max_batches=4)
    assert used == 4 and not net.training
    features = [net[0](b) for b in batches]
    expected_mean = torch.stack([f.mean((0, 2, 3)) for f in features]).mean(0)
    assert torch.allclose(net[1].running_mean, expected_mean, atol=1e-5)
    assert net[1].momentum == 0.1, "the momentum is restored"
    for key, value in weights.items():
        assert torch.equal(net.state_dict()[key], value), key

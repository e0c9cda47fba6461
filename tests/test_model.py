"""The detector: our dropout head acts, pretrained weights come only from a local file, checkpoints rebuild it."""
import pytest
import torch
from torch import nn

from fakeid.errors import FakeidError
from fakeid.models.backbone import DetectorNet
from fakeid.models.detector import FakeImageDetector


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

    detector = FakeImageDetector(drop_rate=0.2).eval()
    trainer = pl.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False, max_epochs=0)
    trainer.strategy.connect(detector)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    rebuilt = FakeImageDetector.load_from_checkpoint(tmp_path / "model.ckpt", map_location="cpu").eval()
    assert rebuilt.hparams.drop_rate == 0.2 and rebuilt.hparams.model_name == "legacy_xception"
    with torch.no_grad():
        x = detector.net.normalise(images)
        assert torch.equal(detector(x), rebuilt(x))


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

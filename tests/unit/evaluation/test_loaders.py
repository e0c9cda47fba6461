"""Training's test and fakeid.eval read a test set through one loader (fakeid.data.datamodule.evaluation_loader)."""

from __future__ import annotations

import torch
from torch.utils.data import SequentialSampler

from fakeid.data.perturb import make
from fakeid.evaluation import job
from tests.helpers.layouts import make_datamodule, make_layout


def settings(loader) -> tuple:
    return (loader.batch_size, type(loader.sampler), loader.num_workers, loader.drop_last, loader.pin_memory)


def test_eval_reads_a_test_set_as_training_tests_it(tmp_path):
    root = make_layout(tmp_path / "data", test_per_class=3)
    datamodule = make_datamodule(root, eval_batch_size=5)
    tests = datamodule.plan().tests
    data = job.EvalData(root=root, test_per_class=3, split_seed=0, image_size=32, batch_size=5)
    for (test, training), (same, evaluation) in zip(
        datamodule.test_loaders(), job.loaders(tests, data, make()), strict=True
    ):
        assert same is test
        assert settings(training) == settings(evaluation) == (5, SequentialSampler, 0, False, torch.cuda.is_available())
        for (a, labels_a), (b, labels_b) in zip(training, evaluation, strict=True):
            assert torch.equal(a, b) and torch.equal(labels_a, labels_b)

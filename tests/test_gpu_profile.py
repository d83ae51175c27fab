"""The gpu profile's code path, run where no GPU is (issue 19, item 3).

The gpu profile has never trained here: there is no GPU. This runs everything of it that is not a hardware question on
the CPU: its settings (384-token windows, stride 128, batches of 32, the whole-split sampling, two epochs planned, its
evaluation and checkpoint strategies), a DistilBERT of its architecture (tiny and random, with the course's uncased
vocabulary, since the hub's weights are out of reach), its batch plan on one and on eight GPUs, and its precision choice
with the CUDA capability mocked: bf16 on an Ampere card, fp16 on a Turing one. A few steps train and evaluate through
`train_and_evaluate`, with the `TrainingArguments` the mocked GPU would get."""
import json
from pathlib import Path
import pytest
import torch
from transformers import AutoTokenizer, DistilBertConfig, DistilBertForQuestionAnswering
from extractive_qa import config as config_module, training
from extractive_qa.config import OFFLINE_MINILM, get_config, resolve_checkpoint, training_precision
from extractive_qa.job import batch_plan

@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory) -> Path:
    "A random DistilBERT with the gpu profile's architecture family, saved with the uncased WordPiece tokenizer."
    folder = tmp_path_factory.mktemp("distilbert")
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    torch.manual_seed(0)
    model = DistilBertForQuestionAnswering(DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, n_layers=2, n_heads=2,
                                                            hidden_dim=64, max_position_embeddings=512))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder

@pytest.mark.parametrize("capability, expected", [((8, 0), "bf16"), ((7, 5), "fp16")])
def test_precision_choice_of_a_mocked_gpu(monkeypatch, capability, expected):
    monkeypatch.setattr(config_module, "cuda_compute_capability", lambda: capability)
    flags = training_precision(get_config("gpu", data_dir=None))
    assert flags == {"fp16": expected == "fp16", "bf16": expected == "bf16"}   # no use_cpu: the GPU's own autocast

def test_batch_plan_of_the_gpu_profile():
    config = get_config("gpu", data_dir=None)
    assert (config.train_batch_size, config.max_device_batch_size) == (32, 32)
    assert batch_plan(config, 1) == (32, 1) and batch_plan(config, 8) == (4, 1)
    assert batch_plan(config.replace(max_device_batch_size=8), 1) == (8, 4)   # a smaller card accumulates

def test_gpu_profile_trains_a_few_steps_on_the_cpu(monkeypatch, tmp_path, data_dir, tiny_distilbert):
    monkeypatch.setattr(config_module, "cuda_compute_capability", lambda: (8, 0))
    seen = {}
    build = training.training_arguments
    def spy(*args, **kwargs):
        arguments = build(*args, **kwargs)
        seen.update(bf16=arguments.bf16, fp16=arguments.fp16, batch=arguments.per_device_train_batch_size,
                    accumulation=arguments.gradient_accumulation_steps, eval_strategy=getattr(arguments.eval_strategy, "value", arguments.eval_strategy))
        return arguments
    monkeypatch.setattr(training, "training_arguments", spy)
    gpu_precision = training.training_precision
    def on_this_cpu(config):
        "The flags the mocked GPU gets, plus `use_cpu` (the one hardware question): bf16 autocast runs on the CPU too."
        seen["precision_flags"] = flags = gpu_precision(config)
        return {**flags, "use_cpu": True}
    monkeypatch.setattr(training, "training_precision", on_this_cpu)
    profile = get_config("gpu", data_dir=str(data_dir))
    assert (profile.max_length, profile.doc_stride, profile.max_train_examples, profile.num_train_epochs) == (384, 128, None, 2.0)
    config = profile.replace(model_checkpoint=str(tiny_distilbert), max_train_examples=48, max_eval_examples=16, max_steps=2,
                             output_dir=str(tmp_path / "gpu"))
    metrics = training.train_and_evaluate(config, verbose=False)
    assert seen == dict(precision_flags={"fp16": False, "bf16": True}, bf16=True, fp16=False, batch=32, accumulation=1,
                        eval_strategy="epoch"), seen
    assert metrics["train_steps"] == 2 and metrics["examples"] == 16 and metrics["config"]["profile"] == "gpu"
    assert 0 <= metrics["f1"] <= 100
    saved = json.loads((tmp_path / "gpu" / "model" / "qa_settings.json").read_text())
    assert (saved["max_length"], saved["doc_stride"]) == (384, 128)
    assert json.loads((tmp_path / "gpu" / "run_config.json").read_text())["profile"] == "gpu"

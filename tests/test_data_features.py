"""Features (issue 10.1): question order is a parameter, never the tokenizer's padding side; batches are padded on
the right, so training labels still point at the answer after collation whatever `padding_side` says."""
import pytest
import torch
from transformers import AutoTokenizer

from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.features import (WindowCollator, pad_windows, prepare_train_features, prepare_validation_features,
                                    tokenize_windows)

CONTEXTS = ["The answer is at the end: Zürich",
            "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. It is named after "
            "the engineer Gustave Eiffel, whose company designed and built the tower.",
            "No answer here."]
ANSWERS = ["Zürich", "Gustave Eiffel", None]
EXAMPLES = {"id": ["end", "eiffel", "none"], "question": ["Last word?", "  Who is it named after?", "Unanswerable?"],
            "context": CONTEXTS,
            "answers": [{"text": [a], "answer_start": [c.index(a)]} if a else {"text": [], "answer_start": []}
                        for a, c in zip(ANSWERS, CONTEXTS)]}


@pytest.fixture(scope="module")
def tokenizers():
    path = resolve_checkpoint(OFFLINE_MINILM)
    return AutoTokenizer.from_pretrained(path), AutoTokenizer.from_pretrained(path, padding_side="left")


def windows_of(features) -> list[dict]:
    return [{name: features[name][i] for name in features} for i in range(len(features["input_ids"]))]


def test_left_padding_tokenizer_gives_the_same_features(tokenizers):
    right, left = tokenizers
    for function in (prepare_train_features, prepare_validation_features):
        assert dict(function(EXAMPLES, left, max_length=32, doc_stride=8)) == dict(function(EXAMPLES, right, max_length=32, doc_stride=8))
    assert left.padding_side == "left"  # the features did not change the tokenizer either


def test_labels_survive_collation_with_a_left_padding_tokenizer(tokenizers):
    right, left = tokenizers
    features = prepare_train_features(EXAMPLES, left, max_length=32, doc_stride=8, keep_offsets=True)
    lengths = {len(ids) for ids in features["input_ids"]}
    assert len(lengths) > 1, "the test needs windows of different lengths"
    batch = WindowCollator(left)([{k: v for k, v in w.items() if k != "example_index"} for w in windows_of(features)])
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions"}
    assert (batch["attention_mask"][:, 0] == 1).all(), "padding must be on the right"
    found = set()
    for i, offsets in enumerate(features["offset_mapping"]):
        start, end = int(batch["start_positions"][i]), int(batch["end_positions"][i])
        example = features["example_index"][i]
        if start == 0:
            assert int(batch["input_ids"][i][0]) == right.cls_token_id
            continue
        # the label in the padded batch points at the same token ids as in the unpadded window, and at the answer
        assert batch["input_ids"][i][start:end + 1].tolist() == features["input_ids"][i][start:end + 1]
        assert CONTEXTS[example][offsets[start][0]:offsets[end][1]] == ANSWERS[example]
        found.add(example)
    assert found == {0, 1}
    # what the tokenizer would have done on its own: shorter windows shift, labels land elsewhere
    naive = left.pad([{k: w[k] for k in batch} for w in windows_of(features)], return_tensors="pt")
    assert not torch.equal(naive["input_ids"], batch["input_ids"])


def test_pad_windows_takes_a_dict_of_lists_and_returns_numpy(tokenizers):
    right, left = tokenizers
    features = prepare_validation_features(EXAMPLES, left, max_length=32, doc_stride=8, with_labels=True)
    padded = pad_windows(features, left, return_tensors="np")
    assert set(padded) == {"input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions"}
    longest = max(len(ids) for ids in features["input_ids"])
    assert padded["input_ids"].shape == (len(features["input_ids"]), longest)
    for row, ids in zip(padded["input_ids"], features["input_ids"]):
        assert row[:len(ids)].tolist() == ids and set(row[len(ids):].tolist()) <= {left.pad_token_id}


def test_context_first_labels(tokenizers):
    right, _ = tokenizers
    features = prepare_train_features(EXAMPLES, right, max_length=32, doc_stride=8, keep_offsets=True, question_first=False)
    windows = tokenize_windows(EXAMPLES, right, max_length=32, doc_stride=8, question_first=False)
    assert windows.sequence_ids(0)[1] == 0 and right.decode(windows["input_ids"][0][1:4]).startswith("the answer")
    found = set()
    for i, offsets in enumerate(features["offset_mapping"]):
        start, end = features["start_positions"][i], features["end_positions"][i]
        if start == 0: continue
        example = features["example_index"][i]
        assert features.sequence_ids(i)[start] == 0  # the context is sequence 0 now
        assert CONTEXTS[example][offsets[start][0]:offsets[end][1]] == ANSWERS[example]
        found.add(example)
    assert found == {0, 1}
    validation = prepare_validation_features(EXAMPLES, right, max_length=32, doc_stride=8, question_first=False)
    for i, offsets in enumerate(validation["offset_mapping"]):
        sequence_ids = validation.sequence_ids(i)
        assert all((o is not None) == (s == 0) for o, s in zip(offsets, sequence_ids))

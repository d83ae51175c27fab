"""Cross-module checks on real data: features → (oracle or random logits) → postprocess → scoring."""
import numpy as np
import pytest
from transformers import AutoTokenizer
from extractive_qa.config import resolve_checkpoint, OFFLINE_MINILM
from extractive_qa.data import load_squad, take_examples
from extractive_qa.features import prepare_validation_features
from extractive_qa.postprocess import (postprocess_predictions, postprocess_predictions_loop, postprocess_qa_predictions,
                                       postprocess_with_details)
from extractive_qa.scoring import normalize_answer, score_predictions


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))


def windows(data_dir, tokenizer, count: int, max_length: int, doc_stride: int, seed: int = 0):
    "`count` random dev questions and their labelled windows (as `datasets` builds them)."
    examples = take_examples(load_squad(data_dir, splits=("validation",))["validation"], count, seed=seed)
    features = examples.map(prepare_validation_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=max_length, doc_stride=doc_stride, with_labels=True))
    return examples, features


def oracle_logits(features, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    "Logits that peak (10) on each window's gold start/end token, `noise` elsewhere, -100 in the padding (like Trainer.predict)."
    longest = max(len(ids) for ids in features["input_ids"])
    rng = np.random.default_rng(seed)
    start = np.full((len(features), longest), -100.0, dtype=np.float32)
    end = start.copy()
    for i, (s, e, ids) in enumerate(zip(features["start_positions"], features["end_positions"], features["input_ids"])):
        start[i, :len(ids)] = noise * rng.normal(size=len(ids))
        end[i, :len(ids)] = noise * rng.normal(size=len(ids))
        if s > 0:
            start[i, s] = 10
            end[i, e] = 10
    return start, end


def test_oracle_logits_give_exactly_the_labelled_span(data_dir, tokenizer):
    """Logits that peak on the labels give back exactly the labelled characters: in every labelled window searched on its
    own, and for every question over all its windows; EM is then the share of questions whose label decodes to a gold answer."""
    examples, features = windows(data_dir, tokenizer, 300, max_length=256, doc_stride=96)
    logits = oracle_logits(features)
    contexts = dict(zip(examples["id"], examples["context"]))
    labelled = {}      # window -> (question id, the context characters its labels point at)
    for i, (example_id, s, e, offsets) in enumerate(zip(features["example_id"], features["start_positions"],
                                                         features["end_positions"], features["offset_mapping"])):
        if s > 0: labelled[i] = (example_id, contexts[example_id][offsets[s][0]:offsets[e][1]])
    assert len(labelled) >= 300, "every question has at least one labelled window"

    # each labelled window searched alone, as a question of its own
    alone = [{"id": f"window {i}", "context": contexts[example_id]} for i, (example_id, _) in labelled.items()]
    rows = list(labelled)
    window_features = {"example_id": [f"window {i}" for i in rows], "offset_mapping": [features[i]["offset_mapping"] for i in rows],
                       "cls_index": [features[i]["cls_index"] for i in rows]}
    per_window = postprocess_predictions(alone, window_features, (logits[0][rows], logits[1][rows]))
    wrong = [(i, per_window[f"window {i}"], text) for i, (_, text) in labelled.items() if per_window[f"window {i}"] != text]
    assert not wrong, f"{len(wrong)} labelled windows give another span, e.g. (window, predicted, labelled): {wrong[:3]}"

    # every question over all its windows
    label_of = {}
    for example_id, text in labelled.values():
        assert label_of.setdefault(example_id, text) == text, f"{example_id}: two windows label different characters"
    predictions = postprocess_predictions(examples, features, logits)
    assert set(predictions) == set(examples["id"]) == set(label_of)
    assert predictions == label_of
    gold = dict(zip(examples["id"], (a["text"] for a in examples["answers"])))
    exact = sum(normalize_answer(label_of[i]) in {normalize_answer(text) for text in gold[i]} for i in label_of)
    assert exact >= 0.97 * len(label_of), f"only {exact} of {len(label_of)} labels decode to a gold answer"
    scores = score_predictions(examples, predictions, verbose=False)
    assert scores["exact_match"] == pytest.approx(100 * exact / len(label_of))


def test_nbest_merges_the_same_span_found_in_overlapping_windows(data_dir, tokenizer):
    "Short windows with a wide overlap: the gold span is found in two windows, and the n-best lists it once (issue 10.2)."
    examples, features = windows(data_dir, tokenizer, 200, max_length=96, doc_stride=48)
    labelled = [example_id for example_id, s in zip(features["example_id"], features["start_positions"]) if s > 0]
    found_twice = {i for i in labelled if labelled.count(i) > 1}
    assert len(found_twice) >= 10, f"only {len(found_twice)} questions have their answer in two windows: shorten the windows"
    details = postprocess_with_details(examples, features, oracle_logits(features, noise=1.0), n_best_size=20)
    gold = {row["id"]: row["answers"]["text"] for row in examples}
    for example_id in found_twice:
        nbest = details.nbest[example_id]
        spans = [(c["start_char"], c["end_char"]) for c in nbest]
        assert len(spans) == len(set(spans)), f"{example_id}: a character span is listed twice: {nbest[:3]}"
        assert len(nbest) == 20, f"{example_id}: {len(nbest)} entries, not 20 distinct spans"
        assert nbest[0]["text"] in gold[example_id] and nbest[0]["score"] > 18, nbest[0]
        assert nbest[1]["score"] < 18, f"{example_id}: the gold span's copy from the other window is still listed: {nbest[:2]}"
        assert abs(sum(c["probability"] for c in nbest) - 1) < 1e-9


@pytest.mark.parametrize("version_2", [False, True])
def test_vectorised_search_equals_the_loop_in_any_window_order_and_input_form(data_dir, tokenizer, version_2):
    "Random logits full of ties, windows in a shuffled order: the vectorised search gives the loop's answers, from any input form."
    examples, features = windows(data_dir, tokenizer, 150, max_length=128, doc_stride=48, seed=1)
    order = np.random.default_rng(0).permutation(len(features))
    shuffled = features.select(order)  # a Dataset whose rows were selected out of order
    longest = max(len(ids) for ids in features["input_ids"])
    logits = tuple(np.round(np.random.default_rng(1).normal(size=(2, len(features), longest)) * 2).astype(np.float32))
    shuffled_logits = (logits[0][order], logits[1][order])
    reference = postprocess_predictions_loop(examples, shuffled, shuffled_logits, version_2=version_2)
    as_dict, as_rows = shuffled.to_dict(), shuffled.to_list()
    for table in (shuffled, as_dict, as_rows):
        assert postprocess_predictions(examples.to_list(), table, shuffled_logits, version_2=version_2) == reference
    details = postprocess_with_details(examples, shuffled, shuffled_logits, version_2=version_2)
    assert details.answers == reference
    assert postprocess_qa_predictions is postprocess_predictions


def test_window_order_does_not_change_answers_without_ties(data_dir, tokenizer):
    "With float logits (no ties), shuffling the windows (and their logit rows) leaves every answer as it was."
    examples, features = windows(data_dir, tokenizer, 150, max_length=128, doc_stride=48, seed=2)
    longest = max(len(ids) for ids in features["input_ids"])
    start, end = np.random.default_rng(3).normal(size=(2, len(features), longest)).astype(np.float32)
    order = np.random.default_rng(4).permutation(len(features))
    in_order = postprocess_predictions(examples, features, (start, end))
    assert postprocess_predictions(examples, features.select(order), (start[order], end[order])) == in_order

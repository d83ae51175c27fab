"""Cross-module checks on real data: features → (oracle logits) → postprocess → scoring."""
import numpy as np
import pytest
from transformers import AutoTokenizer
from extractive_qa.config import resolve_checkpoint, OFFLINE_MINILM
from extractive_qa.data import load_squad, take_examples
from extractive_qa.features import prepare_validation_features
from extractive_qa.postprocess import postprocess_predictions
from extractive_qa.scoring import score_predictions

def test_oracle_logits_score_near_perfect(data_dir):
    "Logits that peak on the gold labels must come back as the gold answers after the whole pipeline."
    tokenizer = AutoTokenizer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))
    examples = take_examples(load_squad(data_dir, splits=("validation",))["validation"], 300, seed=0)
    features = examples.map(prepare_validation_features, batched=True, remove_columns=examples.column_names,
                            fn_kwargs=dict(tokenizer=tokenizer, max_length=256, doc_stride=96, with_labels=True))
    longest = max(len(ids) for ids in features["input_ids"])
    start = np.full((len(features), longest), -100.0, dtype=np.float32); end = start.copy()
    for i, (s, e, ids) in enumerate(zip(features["start_positions"], features["end_positions"], features["input_ids"])):
        start[i, :len(ids)] = 0; end[i, :len(ids)] = 0
        if s > 0: start[i, s] = 10; end[i, e] = 10
    predictions = postprocess_predictions(examples, features, (start, end))
    assert set(predictions) == set(examples["id"])
    scores = score_predictions(examples, predictions)
    assert scores["exact_match"] > 97 and scores["f1"] > 98, scores

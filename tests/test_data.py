"""Data loading (issue 10.5/10.6 and the hub fallback): reading files, checks that never drop evaluation rows,
splits by article, the offline SQuAD 2.0 demo split, and the hub path with only the download mocked."""
import json
from unittest import mock

import pytest
from datasets import Dataset, DatasetDict

from extractive_qa.config import get_config
from extractive_qa.data import (SQUAD_FEATURES, check_squad, load_config_data, load_squad, offline_v2_split,
                                read_squad_file, split_by_article)

CONTEXT = "Paris is the capital of France."


def squad_json(answers: list[tuple[str, int]], title: str = "Tiny") -> dict:
    "An official-format SQuAD file with one paragraph and one question per (answer text, answer_start)."
    qas = [{"id": f"q{i}", "question": f"Question {i}?", "answers": [{"text": text, "answer_start": start}]}
           for i, (text, start) in enumerate(answers)]
    return {"version": "1.1", "data": [{"title": title, "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}


def rows(answers: list[tuple[str, int]]) -> Dataset:
    return Dataset.from_dict({"id": [f"q{i}" for i in range(len(answers))], "title": ["t"] * len(answers),
                              "context": [CONTEXT] * len(answers), "question": ["Q?"] * len(answers),
                              "answers": [{"text": [t], "answer_start": [s]} for t, s in answers]}, features=SQUAD_FEATURES)


def test_read_squad_file_json_and_parquet_agree(tmp_path):
    (tmp_path / "dev.json").write_text(json.dumps(squad_json([("Paris", 0), ("France", 24)])))
    from_json = read_squad_file(tmp_path / "dev.json")
    from_json.to_parquet(tmp_path / "dev.parquet")
    assert read_squad_file(tmp_path / "dev.parquet")[:] == from_json[:]
    assert from_json.features == SQUAD_FEATURES


def test_read_squad_file_names_file_and_missing_columns(tmp_path):
    path = tmp_path / "predictions.parquet"
    Dataset.from_dict({"id": ["q0"], "prediction_text": ["Paris"]}).to_parquet(path)
    with pytest.raises(ValueError) as error:
        read_squad_file(path)
    message = str(error.value)
    assert str(path) in message and "title, context, question, answers" in message
    assert "needs the columns id, title, context, question, answers" in message
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="unknown format"):
        read_squad_file(tmp_path / "notes.txt")
    (tmp_path / "bad.json").write_text(json.dumps({"data": [{"title": "T"}]}))
    with pytest.raises(ValueError, match="bad.json is not an official SQuAD JSON file"):
        read_squad_file(tmp_path / "bad.json")


def test_check_squad_never_drops_evaluation_rows():
    broken = rows([("Paris", 0), ("France", 22), ("Lyon", 0)])  # right, repairable, not in the context
    kept = check_squad(broken, name="validation", verbose=False)
    assert list(kept["id"]) == ["q0", "q1", "q2"]
    assert kept[1]["answers"]["answer_start"] == [24]
    assert kept[2]["answers"] == broken[2]["answers"]
    trained = check_squad(broken, name="train", verbose=False, drop_unfixable=True)
    assert list(trained["id"]) == ["q0", "q1"]


def test_load_squad_keeps_every_validation_question(tmp_path):
    "Through the loader: the same broken file loses its unfixable row as train, keeps it as validation."
    data = squad_json([("Paris", 0), ("France", 22), ("Lyon", 0)])
    (tmp_path / "train-v1.1.json").write_text(json.dumps(data))
    (tmp_path / "dev-v1.1.json").write_text(json.dumps(data))
    loaded = load_squad(tmp_path)
    assert len(loaded["validation"]) == 3
    assert len(loaded["train"]) == 2
    assert loaded["validation"][1]["answers"]["answer_start"] == [24]


def test_split_by_article_keeps_articles_whole():
    titles = [f"article {i % 7}" for i in range(40)]
    dataset = Dataset.from_dict({"id": [f"q{i}" for i in range(40)], "title": titles})
    first, second = split_by_article(dataset, first_share=0.5, seed=3)
    assert not set(first["title"]) & set(second["title"])
    assert sorted(list(first["id"]) + list(second["id"])) == sorted(dataset["id"])
    assert len(set(first["title"])) == 4  # round(3.5) = 4 of 7 articles
    assert list(split_by_article(dataset, 0.5, seed=3)[0]["id"]) == list(first["id"])
    assert list(split_by_article(dataset, 0.5, seed=4)[0]["id"]) != list(first["id"])
    with pytest.raises(ValueError, match="first_share=0"):
        split_by_article(dataset, first_share=0)


def test_split_by_article_on_squad_v2_dev(data_dir):
    dev = load_squad(data_dir, True, ("validation",), check=False)["validation"]
    first, second = split_by_article(dev, 0.5, seed=42)
    assert not set(first["title"]) & set(second["title"])
    assert len(first) + len(second) == len(dev)
    assert not set(first["context"]) & set(second["context"])


def test_offline_squad_v2_demo_split(data_dir, capsys):
    config = get_config("smoke", data_dir=str(data_dir), version_2=True, max_train_examples=50, max_eval_examples=30)
    assert offline_v2_split(config)
    data = load_config_data(config)
    line = capsys.readouterr().out
    assert "Offline SQuAD 2.0 demo split by article" in line
    dev = load_squad(data_dir, True, ("validation",), check=False)["validation"]
    dev_ids = set(dev["id"])
    train_from_dev = [i for i in data["train"]["id"] if i in dev_ids]
    assert len(data["train"]) - len(train_from_dev) == 50            # SQuAD 1.1 training questions
    assert len(data["validation"]) == 30 and set(data["validation"]["id"]) <= dev_ids
    title_of = dict(zip(dev["id"], dev["title"]))
    train_titles = {title_of[i] for i in train_from_dev}
    assert not train_titles & {title_of[i] for i in data["validation"]["id"]}
    first_half, _ = split_by_article(dev, 0.5, seed=config.seed)     # all of the first half trains
    assert set(train_from_dev) == set(first_half["id"])
    # evaluating later (validation only) gives the same questions, never training ones
    assert list(load_config_data(config, ("validation",))["validation"]["id"]) == list(data["validation"]["id"])


def test_hub_path_with_download_mocked():
    "data_dir=None reads the hub: only `datasets.load_dataset` (the download) is replaced."
    tiny = rows([("Paris", 0), ("France", 24), ("capital", 13)])
    fake = DatasetDict({"train": tiny, "validation": tiny})
    with mock.patch("datasets.load_dataset", return_value=fake) as download:
        config = get_config("smoke", data_dir=None, max_train_examples=2, max_eval_examples=None)
        data = load_config_data(config)
        assert not offline_v2_split(config.replace(version_2=True))
        load_config_data(config.replace(version_2=True), ("validation",))
    assert [call.args for call in download.call_args_list] == [("rajpurkar/squad",), ("rajpurkar/squad_v2",)]
    assert (len(data["train"]), len(data["validation"])) == (2, 3)

"""QuestionAnswerer refuses what cannot work, in one line naming the problem (issue 18, items 1, 2, 4 and 5)."""
import shutil
import pytest
from transformers import AutoModel, AutoTokenizer
from extractive_qa.config import OFFLINE_MINILM, resolve_checkpoint
from extractive_qa.inference import MAX_CANDIDATES, QuestionAnswerer

@pytest.fixture(scope="module")
def encoder_only(tmp_path_factory):
    "The offline MiniLM saved as a plain encoder (no question-answering head), with its tokenizer."
    folder = tmp_path_factory.mktemp("encoder")
    source = resolve_checkpoint(OFFLINE_MINILM)
    AutoModel.from_pretrained(source).save_pretrained(folder)
    AutoTokenizer.from_pretrained(source).save_pretrained(folder)
    return folder

def test_a_model_without_its_qa_head_is_refused(encoder_only):
    "Item 2: before, this loaded with a random qa_outputs and answered nonsense."
    with pytest.raises(ValueError, match="no trained question-answering head"):
        QuestionAnswerer.from_pretrained(encoder_only)

def test_the_offline_minilm_folder_itself_is_refused():
    with pytest.raises(ValueError, match="qa_outputs"):
        QuestionAnswerer.from_pretrained(resolve_checkpoint(OFFLINE_MINILM))

def test_empty_input_is_one_clear_error(smoke_run):
    "Item 1: `QuestionAnswerer([], [])` failed inside the error handler with 'max() arg is an empty sequence'."
    answerer = QuestionAnswerer.from_pretrained(smoke_run / "model")
    with pytest.raises(ValueError, match="No question given"):
        answerer([], [])

def test_max_length_beyond_the_model_is_refused(smoke_run):
    "Item 4: max_length above max_position_embeddings failed later with a tensor-size RuntimeError."
    with pytest.raises(ValueError, match="max_position_embeddings"):
        QuestionAnswerer.from_pretrained(smoke_run / "model", max_length=4096, doc_stride=128)

def test_candidate_counts_are_capped(smoke_run):
    "Item 5: n_best_size and top_k allocate (windows, k, k) arrays; unbounded, n_best 384 meant about 3 GB per chunk."
    with pytest.raises(ValueError, match=f"1 to {MAX_CANDIDATES}"):
        QuestionAnswerer.from_pretrained(smoke_run / "model", n_best_size=384)
    answerer = QuestionAnswerer.from_pretrained(smoke_run / "model")
    with pytest.raises(ValueError, match=f"1 to {MAX_CANDIDATES}"):
        answerer("Who?", "Paris is big.", top_k=MAX_CANDIDATES + 1)
    assert len(answerer("Who?", "Paris is big.", top_k=MAX_CANDIDATES)) >= 1

def test_config_caps_n_best_size():
    from extractive_qa.config import ConfigError, get_config
    with pytest.raises(ConfigError, match=f"1 to {MAX_CANDIDATES}"): get_config("smoke", n_best_size=384)
    assert get_config("smoke", n_best_size=MAX_CANDIDATES).n_best_size == MAX_CANDIDATES

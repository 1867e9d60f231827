"""The intent recogniser: its corpus, its model file and its figures on the held-out split."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.nlu.corpus import (
    CorpusError,
    Example,
    corpus_digest,
    load_blind_check,
    load_corpus,
    load_out_of_scope,
    load_settings,
    split,
)
from bot.nlu.evaluation import evaluate
from bot.nlu.features import normalise
from bot.nlu.model import IntentModel, ModelMissing, shipped_model
from bot.nlu.training import augment, train


def test_the_corpus_is_large_and_every_intent_has_enough_phrasings() -> None:
    examples = load_corpus()
    per_intent: dict[str, int] = {}
    for example in examples:
        per_intent[example.intent] = per_intent.get(example.intent, 0) + 1
    assert len(examples) >= 600
    assert min(per_intent.values()) >= 25, per_intent


def test_the_held_out_split_is_never_trained_on_and_stays_put() -> None:
    examples = load_corpus()
    training, heldout = split(examples, 4)
    assert not {e.text for e in training} & {e.text for e in heldout}
    assert 0.2 < len(heldout) / len(examples) < 0.3
    more = [*examples, Example("pago", "una frase nueva sobre el pago")]
    assert set(split(more, 4)[1]) - set(heldout) <= {more[-1]}


def test_a_phrasing_under_two_intents_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pago.txt").write_text("no me llego el bono\n", encoding="utf-8")
    (tmp_path / "califico.txt").write_text("No me llegó el bono\n", encoding="utf-8")
    with pytest.raises(CorpusError):
        load_corpus(tmp_path)


def test_phone_spellings_read_as_words() -> None:
    assert normalise("Xq no me llegaaa el bono?? q paso") == "porque no me llega el bono que paso"
    assert normalise("mi caso 123") == "mi caso 0"


def test_augmented_copies_keep_their_intent_and_only_training_sees_them() -> None:
    examples = [Example("pago", "no me llego el bono"), Example("cortesia", "gracias")]
    augmented = augment(examples)
    assert augmented[:2] == examples and len(augmented) > 2
    assert {e.intent for e in augmented[2:] if "bono" in e.text or "bno" in e.text} == {"pago"}


def test_the_model_file_is_plain_arrays_and_reads_back_the_same(tmp_path: Path) -> None:
    examples = load_corpus()[:400]
    model = train(examples, load_settings(), "test")
    path = tmp_path / "model.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as member:
                assert np.lib.format.read_array(member, allow_pickle=False) is not None
    again = IntentModel.load(path)
    for text in ("no me llego el bono", "gracias", "alli puncha"):
        assert model.rank(text) == again.rank(text)


def test_an_outdated_or_missing_model_file_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="nlu train"):
        IntentModel.load(tmp_path / "none.npz")
    np.savez(tmp_path / "old.npz", intents=np.array(["pago"]))
    with pytest.raises(ModelMissing, match="outdated"):
        IntentModel.load(tmp_path / "old.npz")


def test_the_shipped_model_is_built_from_the_corpus_as_it_is() -> None:
    model = shipped_model()
    assert model is not None and model.digest == corpus_digest()


def test_ranking_a_message_gives_probabilities_best_first() -> None:
    model = shipped_model()
    assert model is not None
    ranked = model.rank("me piden plata para el bono")
    assert ranked[0].intent == "fraude" and ranked[0].probability >= model.threshold
    assert [g.probability for g in ranked] == sorted((g.probability for g in ranked), reverse=True)
    assert sum(g.probability for g in ranked) <= 1.0 + 1e-9
    assert model.rank("") == [] and model.rank("!!! 😀") == []


def test_held_out_figures_meet_the_targets() -> None:
    result = evaluate(load_corpus(), load_settings(), load_out_of_scope(), load_blind_check())
    assert result.accuracy >= 0.95
    assert all(right / total >= 0.90 for right, total in result.per_intent.values()), (
        result.per_intent
    )
    assert result.below_threshold_rate < 0.03
    assert result.blind[0] / result.blind[1] >= 0.9
    assert result.out_of_scope[0] >= result.out_of_scope[1] // 2

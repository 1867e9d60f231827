"""The intent recogniser: held-out accuracy and CPU per message.

    python -m bench.nlu [--messages 20000]

Trains on the corpus' training split (as `make nlu-eval`), prints the held-out figures with their
targets (≥ 95 % overall, ≥ 90 % for every intent, < 3 % below the confidence threshold), then
times what the bot adds to each free-text message: splitting a greeting off and ranking the
intents with the shipped model, over the held-out phrasings and a few long messages (target
< 2 ms of CPU per message), and the time to load the model file at start-up.
"""

from __future__ import annotations

import argparse
import time

from bench.harness.report import emit, quick_mode, verdict
from bot.domain.greetings import split_greeting
from bot.nlu.corpus import (
    MODEL_FILE,
    corpus_digest,
    load_blind_check,
    load_corpus,
    load_out_of_scope,
    load_settings,
    split,
)
from bot.nlu.evaluation import evaluate
from bot.nlu.model import IntentModel, ModelMissing
from bot.nlu.training import train


def _current() -> bool:
    try:
        return IntentModel.load().digest == corpus_digest()
    except ModelMissing:
        return False


def main() -> None:
    """Prints the held-out figures and the CPU per message."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, help="messages to time")
    args = parser.parse_args()
    messages = args.messages or (2000 if quick_mode() else 20_000)
    examples, settings = load_corpus(), load_settings()
    started = time.process_time()
    result = evaluate(examples, settings, load_out_of_scope(), load_blind_check())
    emit("nlu/train", "cpu", time.process_time() - started, "s (training split, augmented)")
    emit("nlu/corpus", "phrasings", len(examples), f"({len(result.per_intent)} intents)")
    worst = min(right / total for right, total in result.per_intent.values())
    verdict("nlu/heldout", "accuracy_pct", 100 * result.accuracy, ">=", 95)
    verdict("nlu/heldout", "worst_intent_pct", 100 * worst, ">=", 90)
    verdict("nlu/heldout", "below_thresh_pct", 100 * result.below_threshold_rate, "<", 3)
    emit("nlu/blind_check", "right", result.blind[0], f"of {result.blind[1]}")
    emit(
        "nlu/out_of_scope",
        "below_threshold",
        result.out_of_scope[0],
        f"of {result.out_of_scope[1]}",
    )

    if not _current():
        train(examples, settings, corpus_digest()).save(MODEL_FILE)
    started = time.perf_counter()
    model = IntentModel.load()
    emit("nlu/model", "load_time", 1000 * (time.perf_counter() - started), "ms")
    _, heldout = split(examples, settings.heldout_every)
    texts = [e.text for e in heldout] + [
        "hola buenas tardes señorita disculpe la molestia, " * 20 + "no me llego el bono"
    ]
    started = time.process_time()
    for i in range(messages):
        text = texts[i % len(texts)]
        greeting = split_greeting(text)
        model.rank(greeting.rest if greeting and greeting.rest else text)
    per_message = 1000 * (time.process_time() - started) / messages
    verdict("nlu/recogniser", "cpu_per_message", per_message, "<", 2)


if __name__ == "__main__":
    main()

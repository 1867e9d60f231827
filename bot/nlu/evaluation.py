"""Measuring the recogniser on the held-out split, which the measured model never saw.

`evaluate` trains a model on the training split with the shipped recipe and scores every
held-out phrasing as the bot reads it (a greeting in front split off, `question_of`): accuracy
overall and per intent (the best guess), the pairs it confuses, and how often it is below the
confidence threshold (the bot then offers its two best guesses instead of acting: the «No
entendí» rate of the issue), with how often the right intent is among those two. The blind check
and the out-of-scope messages are scored by the same model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.domain.greetings import question_of
from bot.nlu.corpus import Example, RecogniserSettings, split
from bot.nlu.model import IntentModel
from bot.nlu.training import train

# Messages about nothing the bot serves (bot/data/nlu/corpus/fuera_de_tema.txt): no flow.
OFF_TOPIC = "fuera_de_tema"


@dataclass(frozen=True)
class Evaluation:
    """The held-out figures."""

    trained_on: int
    heldout: int
    correct: int
    below_threshold: int
    below_but_in_two: int
    per_intent: dict[str, tuple[int, int]]  # intent → (correct, held out)
    out_of_scope: tuple[int, int] = (0, 0)  # (below threshold, messages) of out_of_scope.txt
    blind: tuple[int, int] = (0, 0)  # (right, messages) of blind_check.txt
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, guessed)
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, guessed)

    @property
    def accuracy(self) -> float:
        """Share of held-out phrasings whose best guess is right."""
        return self.correct / self.heldout if self.heldout else 0.0

    @property
    def below_threshold_rate(self) -> float:
        """Share of held-out phrasings the bot would not act on by itself."""
        return self.below_threshold / self.heldout if self.heldout else 0.0


def _unsure(model: IntentModel, text: str) -> bool:
    """Whether the bot would not act on its best guess: below the threshold, or judged off-topic
    (`OFF_TOPIC`, an intent that opens no flow)."""
    ranked = model.rank(question_of(text))
    return not ranked or ranked[0].probability < model.threshold or ranked[0].intent == OFF_TOPIC


def score(
    model: IntentModel, heldout: list[Example], trained_on: int, unanswerable: Sequence[str] = ()
) -> Evaluation:
    """Scores `model` on `heldout` (and how many `unanswerable` messages it is unsure of)."""
    per_intent: dict[str, list[int]] = {}
    confusions: Counter[tuple[str, str]] = Counter()
    misses: list[tuple[str, str, str]] = []
    correct = below = below_in_two = 0
    heldout = [e for e in heldout if e.intent != OFF_TOPIC]  # a rejection class, not a service
    for example in heldout:
        ranked = model.rank(question_of(example.text))
        best = ranked[0].intent if ranked else ""
        tally = per_intent.setdefault(example.intent, [0, 0])
        tally[1] += 1
        if best == example.intent:
            correct += 1
            tally[0] += 1
        else:
            confusions[(example.intent, best)] += 1
            misses.append((example.text, example.intent, best))
        if not ranked or ranked[0].probability < model.threshold or best == OFF_TOPIC:
            below += 1
            if example.intent in {g.intent for g in ranked[:2]}:
                below_in_two += 1
    return Evaluation(
        trained_on=trained_on,
        heldout=len(heldout),
        correct=correct,
        below_threshold=below,
        below_but_in_two=below_in_two,
        per_intent={k: (v[0], v[1]) for k, v in sorted(per_intent.items())},
        out_of_scope=(sum(_unsure(model, t) for t in unanswerable), len(unanswerable)),
        confusions=confusions,
        misses=misses,
    )


def evaluate(
    examples: list[Example],
    settings: RecogniserSettings,
    unanswerable: Sequence[str] = (),
    blind: Sequence[Example] = (),
) -> Evaluation:
    """Trains on the training split and scores the held-out split (and the blind check)."""
    training, heldout = split(examples, settings.heldout_every)
    model = train(training, settings, digest="heldout")
    result = score(model, heldout, len(training), unanswerable)
    right = 0
    for example in blind:
        ranked = model.rank(question_of(example.text))
        right += bool(ranked) and ranked[0].intent == example.intent
    return replace(result, blind=(right, len(blind)))


def report(result: Evaluation) -> str:
    """The figures as text: overall, per intent, confusion pairs and the misses."""
    lines = [
        f"held-out phrasings: {result.heldout} (model trained on {result.trained_on} others)",
        f"accuracy: {result.accuracy:.1%} ({result.correct}/{result.heldout})",
        f"below threshold («No entendí» before this work): {result.below_threshold_rate:.1%} "
        f"({result.below_threshold}; right intent among the two offered: "
        f"{result.below_but_in_two})",
        f"out-of-scope messages below threshold: {result.out_of_scope[0]}/{result.out_of_scope[1]}",
        f"blind check (written after tuning, never trained on): "
        f"{result.blind[0]}/{result.blind[1]} right",
        "per intent:",
    ]
    for intent, (right, total) in result.per_intent.items():
        lines.append(f"  {intent:<18} {right / total:6.1%}  ({right}/{total})")
    lines.append("confusion pairs (expected → guessed):")
    if not result.confusions:
        lines.append("  none")
    for (expected, guessed), count in result.confusions.most_common():
        lines.append(f"  {expected} → {guessed}: {count}")
    if result.misses:
        lines.append("misses:")
        lines.extend(f"  «{t}» {e} → {g}" for t, e, g in result.misses)
    return "\n".join(lines)

"""`nlu` commands: build the intent model from the corpus, and measure it on the held-out split."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

nlu_app = typer.Typer(help="Reconocimiento de intenciones (corpus → modelo).", no_args_is_help=True)


@nlu_app.command("train")
def train_command(
    out: Annotated[Path | None, typer.Option(help="archivo del modelo")] = None,
) -> None:
    """Trains the model on the whole corpus and writes bot/data/nlu/model.npz."""
    from bot.nlu.corpus import MODEL_FILE, corpus_digest, load_corpus, load_settings
    from bot.nlu.training import train

    examples = load_corpus()
    model = train(examples, load_settings(), corpus_digest())
    target = out or MODEL_FILE
    model.save(target)
    intents = len({e.intent for e in examples})
    typer.echo(f"{target}: {len(examples)} phrasings, {intents} intents")


@nlu_app.command("eval")
def eval_command(
    misses: Annotated[bool, typer.Option(help="list every held-out phrasing missed")] = True,
) -> None:
    """Trains on the training split and prints accuracy on the held-out split it never saw."""
    from bot.nlu.corpus import load_blind_check, load_corpus, load_out_of_scope, load_settings
    from bot.nlu.evaluation import evaluate, report

    result = evaluate(load_corpus(), load_settings(), load_out_of_scope(), load_blind_check())
    text = report(result)
    if not misses:
        text = text.split("\nmisses:")[0]
    typer.echo(text)

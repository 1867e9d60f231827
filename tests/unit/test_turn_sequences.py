"""When a polled Telegram update counts as run before: its update_id and how old the last one is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.flows.turns import SEQUENCE_TRUSTED_FOR, run_before

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_an_update_at_or_below_the_last_one_run_is_a_redelivery() -> None:
    recent = NOW - timedelta(minutes=3)
    assert run_before(120, recent, 120, NOW)
    assert run_before(120, recent, 99, NOW)
    assert not run_before(120, recent, 121, NOW)


def test_a_chat_never_run_by_sequence_runs_everything() -> None:
    assert not run_before(None, NOW, 1, NOW)


def test_an_old_last_sequence_is_not_trusted_the_numbering_may_have_restarted() -> None:
    assert run_before(120, NOW - SEQUENCE_TRUSTED_FOR + timedelta(seconds=1), 50, NOW)
    assert not run_before(120, NOW - SEQUENCE_TRUSTED_FOR, 50, NOW)
    assert not run_before(120, NOW - timedelta(days=8), 50, NOW)

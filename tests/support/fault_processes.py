"""Pieces of the multi-process fault tests: the product as real processes that kill themselves.

`CrashingProcess` runs `tests.support.replica_process` (a webhook replica or the polling bot)
and starts it again after each death with the next crash point; `text_update` builds what
Telegram sends; `sent_texts` reads what the fake Bot API server (`tests.support.bot_api_server`)
received; `Tally` compares every chat's replies with a control chat's and counts the lost,
duplicated and reordered ones; `left_sending` counts the replies a killed process had in flight.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.storage.db import create_engine

ROOT = Path(__file__).resolve().parents[2]
CRASH_POINTS = ("before_commit", "after_commit", "after_send")


def free_port() -> int:
    """A TCP port nobody listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_module(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m <args>` from the repository; stderr to $REPLICA_DEBUG when set."""
    debug = os.environ.get("REPLICA_DEBUG")
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(debug, "ab") if debug else subprocess.DEVNULL,
    )


def product_env(database_url: str, api_port: int, **extra: str) -> dict[str, str]:
    """The environment of a product process on `database_url`, talking to the fake Bot API."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "TELEGRAM_TOKEN": "123456:REPLICA-TEST",
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
        "MAX_CONCURRENT_UPDATES": "16",
        **extra,
    }


class CrashingProcess:
    """One product process, started again with the next crash point after each death."""

    def __init__(
        self,
        mode: str,
        env: dict[str, str],
        crash_points: tuple[str, ...],
        *,
        crash_at: int,
    ) -> None:
        self.mode = mode
        self.env = env
        self.crash_at = crash_at
        self.pending_points = list(crash_points)
        self.deaths: list[int] = []
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        if self.pending_points:
            env.update(CRASH_POINT=self.pending_points.pop(0), CRASH_AT=str(self.crash_at))
        return start_module(["tests.support.replica_process", self.mode], env)

    def revive_if_dead(self) -> None:
        """Starts the process again if it died (recording how)."""
        code = self.process.poll()
        if code is not None:
            self.deaths.append(code)
            self.process = self._spawn()

    def stop(self) -> None:
        """SIGTERM (a clean stop), SIGKILL if it takes more than 10 s."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def text_update(update_id: int, chat: int, words: str) -> dict[str, Any]:
    """A private-chat text message as Telegram sends it."""
    sender = {"id": chat, "is_bot": False, "first_name": "Ciudadana", "language_code": "es"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_795_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "Ciudadana"},
            "from": sender,
            "text": words,
        },
    }


async def sent_texts(http: aiohttp.ClientSession, api: str) -> list[dict[str, Any]]:
    """Every message the fake Bot API received, in order: {"chat_id", "text", "buttons"}."""
    async with http.get(f"{api}/sent") as response:
        return list(await response.json())


async def left_sending(database_url: str) -> int:
    """Replies claimed by a process that was killed before it stored their outcome."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(
                text("SELECT count(*) FROM outbox WHERE kind = 'reply' AND status = 'sending'")
            )
    finally:
        await engine.dispose()
    return int(count or 0)


@dataclass
class Tally:
    """Each chat's replies against the control chat's: lost, duplicated, out of order."""

    expected: list[str]
    lost: int = 0
    lost_replies: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    samples: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, sent: list[dict[str, Any]], chats: list[int], expected: list[str]) -> Tally:
        """Counts, over `chats`, how their replies differ from `expected`."""
        by_chat: dict[int, list[str]] = {chat: [] for chat in chats}
        for message in sent:
            if message["chat_id"] in by_chat:
                by_chat[message["chat_id"]].append(message["text"])
        tally = cls(expected)
        for texts in by_chat.values():
            if texts == expected:
                continue
            tally.samples.append(f"{[t[:40] for t in texts]}")
            if len(texts) < len(expected):
                tally.lost += 1
                tally.lost_replies += len(expected) - len(texts)
            elif len(texts) > len(expected):
                tally.duplicated += 1
            else:
                tally.out_of_order += 1
        return tally

    def line(self, in_flight: int) -> str:
        """The figures, as the fault tests print them."""
        return (
            f"chats with a lost reply {self.lost} ({self.lost_replies} replies; {in_flight} "
            f"sends in flight at a kill), duplicated {self.duplicated}, "
            f"out of order {self.out_of_order}"
        )

"""Simulated citizens and the two load models, driving a bot process through the fake Bot API.

- saturation: each citizen sends its next message as soon as the previous one is answered;
- open loop: messages are offered at a fixed rate by whichever citizens are idle, whatever the
  bot's speed; a message not answered by the end of the drain period counts as dropped.

Latency is measured from the moment an update is offered (queued for getUpdates) to the moment
the bot's last reply to it reaches the fake server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness.fake_telegram import FakeTelegram

APOLOGY = "Disculpe, tuvimos un problema"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Say:
    """The citizen types `text`."""

    text: str


@dataclass(frozen=True)
class Press:
    """The citizen presses the button whose option key starts with `key`."""

    key: str


Step = Say | Press
Scenario = Callable[[int], Sequence[Step]]


@dataclass
class Citizen:
    """One simulated private chat walking through its scenario again and again."""

    chat_id: int
    steps: Sequence[Step]
    position: int = 0
    buttons: list[str] = field(default_factory=list)
    pending: int | None = None

    def next_update(self, server: FakeTelegram) -> tuple[int, bool]:
        """Offers the next step; returns (update id, whether the scripted button was missing)."""
        step = self.steps[self.position % len(self.steps)]
        self.position += 1
        if isinstance(step, Say):
            return server.offer_text(self.chat_id, step.text), False
        data = next((b for b in self.buttons if b.partition("|")[2].startswith(step.key)), None)
        if data is None and self.buttons:
            # The flow did not offer the button the script expects: go back to the menu.
            self.position = 0
            return server.offer_text(self.chat_id, "menú"), True
        # The echo bot offers no buttons: press one with the same shape anyway.
        return server.offer_press(self.chat_id, data or f"0|{step.key}"), False


@dataclass
class RunResult:
    """Figures of one load run."""

    offered: int = 0
    answered: int = 0
    dropped: int = 0
    starved: int = 0
    errors: int = 0
    unexpected: int = 0
    no_reply: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    bot_requests: int = 0  # Bot API calls other than getUpdates (sendMessage, answerCallbackQuery)

    @property
    def throughput(self) -> float:
        """Answered updates per second."""
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]

    @property
    def cpu_ms_per_update(self) -> float:
        """Bot process CPU milliseconds per answered update."""
        return 1000 * self.cpu_seconds / self.answered if self.answered else float("nan")


class BotUnderTest:
    """A bot process (ours or the echo baseline) polling the fake server."""

    def __init__(self, kind: str, database_url: str, profile: Path | None = None) -> None:
        self.kind = kind
        self.database_url = database_url
        self.profile = profile
        self.process: asyncio.subprocess.Process | None = None
        self.done: asyncio.Queue[int] = asyncio.Queue()
        self._reader_task: asyncio.Task[None] | None = None

    async def start(self, server: FakeTelegram, base_url: str) -> None:
        """Spawns the bot and waits until it polls for updates."""
        read_fd, write_fd = os.pipe()
        args = [
            sys.executable,
            "-m",
            "bench.harness.bot_process",
            "--kind",
            self.kind,
            "--base-url",
            base_url,
            "--database-url",
            self.database_url,
            "--done-fd",
            str(write_fd),
        ]
        if self.profile is not None:
            args += ["--profile", str(self.profile)]
        server.new_bot()
        self.process = await asyncio.create_subprocess_exec(*args, pass_fds=(write_fd,), cwd=ROOT)
        os.close(write_fd)
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb")
        )
        self._reader_task = asyncio.create_task(self._read_done(reader))
        polled = asyncio.create_task(server.polled.wait())
        exited = asyncio.create_task(self.process.wait())
        finished, _ = await asyncio.wait(
            {polled, exited}, timeout=120, return_when=asyncio.FIRST_COMPLETED
        )
        for task in (polled, exited):
            task.cancel()
        if polled not in finished:
            raise RuntimeError(f"the {self.kind} bot did not start polling")

    async def _read_done(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            self.done.put_nowait(int(line))

    def cpu_seconds(self) -> float:
        """User + system CPU time of the bot process so far."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        """The bot process's peak resident memory (VmHWM) in MB."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self) -> None:
        """Stops the bot (SIGTERM: PTB shuts down cleanly) and waits for it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 30)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self._reader_task is not None:
            self._reader_task.cancel()


class LoadRun:
    """Feeds citizens' messages to the bot and matches each answer to its update."""

    def __init__(self, server: FakeTelegram, bot: BotUnderTest, citizens: list[Citizen]) -> None:
        self.server = server
        self.bot = bot
        self.citizens = {c.chat_id: c for c in citizens}
        self.pending: dict[int, tuple[Citizen, float]] = {}
        self.result = RunResult()
        self.window_end = float("inf")
        self.last_answer = 0.0
        self.drained = asyncio.Event()
        self.idle: deque[Citizen] = deque()
        self.on_idle: Callable[[Citizen], None] = self.idle.append

    def offer(self, citizen: Citizen) -> None:
        """Offers the citizen's next message."""
        update_id, unexpected = citizen.next_update(self.server)
        citizen.pending = update_id
        self.pending[update_id] = (citizen, time.perf_counter())
        self.result.offered += 1
        self.result.unexpected += unexpected

    async def _collect(self) -> None:
        while True:
            update_id = await self.bot.done.get()
            entry = self.pending.pop(update_id, None)
            if entry is None:
                continue
            citizen, offered_at = entry
            log = self.server.take_replies(citizen.chat_id)
            now = time.perf_counter()
            if log.replies:
                answered_at = log.replies[-1][0]
                if any(text.startswith(APOLOGY) for _, text, _ in log.replies):
                    self.result.errors += 1
            else:
                answered_at = now
                self.result.no_reply += 1
            self.result.answered += 1
            self.last_answer = now
            self.result.latencies_ms.append(1000 * (answered_at - offered_at))
            citizen.buttons = log.last_buttons
            citizen.pending = None
            if now < self.window_end:
                self.on_idle(citizen)
            elif not self.pending:
                self.drained.set()

    async def warm_up(self, citizens: list[Citizen], rounds: int = 2) -> None:
        """Runs a few scenario cycles first (imports, caches, first connections), not measured."""
        for citizen in citizens:
            for _ in range(rounds * len(citizen.steps)):
                update_id, _ = citizen.next_update(self.server)
                while await asyncio.wait_for(self.bot.done.get(), 30) != update_id:
                    pass
                citizen.buttons = self.server.take_replies(citizen.chat_id).last_buttons

    async def saturation(self, seconds: float, drain: float = 30) -> RunResult:
        """Every citizen sends again as soon as it is answered, for `seconds`."""
        self.on_idle = self.offer
        return await self._run(seconds, drain, lambda: None, list(self.citizens.values()))

    async def open_loop(self, rate: float, seconds: float, drain: float = 15) -> RunResult:
        """Offers `rate` messages per second from idle citizens for `seconds`."""
        self.idle.extend(self.citizens.values())
        self.on_idle = self.idle.append
        started = time.perf_counter()

        def tick() -> None:
            due = int(rate * (time.perf_counter() - started)) - (
                self.result.offered + self.result.starved
            )
            for _ in range(max(0, due)):
                if self.idle:
                    self.offer(self.idle.popleft())
                else:
                    self.result.starved += 1

        return await self._run(seconds, drain, tick, [])

    def _bot_requests(self) -> int:
        return sum(n for method, n in self.server.requests.items() if method != "getUpdates")

    async def _run(
        self, seconds: float, drain: float, tick: Callable[[], None], first: list[Citizen]
    ) -> RunResult:
        collector = asyncio.create_task(self._collect())
        cpu_before = self.bot.cpu_seconds()
        requests_before = self._bot_requests()
        started = time.perf_counter()
        self.window_end = started + seconds
        for citizen in first:
            self.offer(citizen)
        while time.perf_counter() < self.window_end:
            tick()
            await asyncio.sleep(0.002)
        if self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.drained.wait(), drain)
        # Throughput: answered updates over the time until the last answer.
        self.result.seconds = max(self.last_answer - started, 1e-9)
        self.result.cpu_seconds = self.bot.cpu_seconds() - cpu_before
        self.result.peak_rss_mb = self.bot.peak_rss_mb()
        self.result.dropped = len(self.pending)
        self.result.bot_requests = self._bot_requests() - requests_before
        collector.cancel()
        return self.result

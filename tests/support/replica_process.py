"""One process of the product, as `bot run` runs it, that may crash: a webhook replica or polling.

    CRASH_POINT=after_commit CRASH_AT=N python -m tests.support.replica_process [webhook|polling]

(points: before_commit, after_commit, after_send)

Runs `bot.runtime.modes.run_webhook` (the default) or `run_telegram` (long polling) with the
settings from the environment. With CRASH_POINT,
the N-th time a turn reaches that point the process kills itself with SIGKILL: exactly what a
`kill -9` at that point of the turn does (no cleanup, no flush, connections dropped).
"""

from __future__ import annotations

import os
import signal
import sys

from bot.config import Settings
from bot.flows.engine import FlowEngine
from bot.handlers.telegram.replies import ChatReplySender
from bot.runtime.modes import run_telegram, run_webhook


def _install_crash(point: str, at: int) -> None:
    reached = 0

    async def checkpoint(name: str) -> None:
        nonlocal reached
        if name != point:
            return
        reached += 1
        if reached >= at:
            os.kill(os.getpid(), signal.SIGKILL)

    original_engine_init = FlowEngine.__init__
    original_sender_init = ChatReplySender.__init__

    def engine_init(self: FlowEngine, *args: object, **kwargs: object) -> None:
        original_engine_init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.checkpoint = checkpoint

    def sender_init(self: ChatReplySender, *args: object, **kwargs: object) -> None:
        original_sender_init(self, *args, **kwargs)  # type: ignore[arg-type]
        self.checkpoint = checkpoint

    FlowEngine.__init__ = engine_init  # type: ignore[method-assign]
    ChatReplySender.__init__ = sender_init  # type: ignore[method-assign]


if __name__ == "__main__":
    crash_point = os.environ.get("CRASH_POINT")
    if crash_point:
        _install_crash(crash_point, int(os.environ.get("CRASH_AT", "1")))
    mode = sys.argv[1] if len(sys.argv) > 1 else "webhook"
    (run_telegram if mode == "polling" else run_webhook)(Settings())

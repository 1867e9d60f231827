"""A real panel server for browser tests: uvicorn in a thread, on a free port, its own loop.

The services (and their database connections) live on the server thread's event loop; the test
seeds its data there too (`seed` runs before serving), so nothing crosses loops.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from bot.config import Settings
from bot.handlers.web import build_app
from bot.runtime.composition import build_services
from bot.services.container import Services

Seed = Callable[[Services], Awaitable[dict[str, Any]]]
MakeSettings = Callable[[], Awaitable[Settings]]


class PanelServer:
    """Starts the web app on 127.0.0.1:<free port> until `stop`."""

    def __init__(self, make_settings: MakeSettings, seed: Seed) -> None:
        self.make_settings = make_settings
        self.seed = seed
        self.seeded: dict[str, Any] = {}
        self.base_url = ""
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, name="panel-server", daemon=True)

    def start(self) -> PanelServer:
        """Starts serving; returns when the server accepts connections."""
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the panel server did not start in 30 s")
        if self._error is not None:
            raise RuntimeError("the panel server failed to start") from self._error
        return self

    def stop(self) -> None:
        """Stops the server and waits for its thread."""
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(15)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _main(self) -> None:
        services = await build_services(await self.make_settings())
        try:
            self.seeded = await self.seed(services)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sock.listen(64)
            self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            config = uvicorn.Config(build_app(services), log_level="warning", lifespan="off")
            self._server = uvicorn.Server(config)
            task = asyncio.create_task(self._server.serve(sockets=[sock]))
            # uvicorn offers no "started" event to await; its flag flips within milliseconds.
            while not self._server.started and not task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            self._ready.set()
            await task
        finally:
            await services.close()

"""Serves the web app (staff panel + webhooks) beside the console chat on a local try.

`make run` without tokens opens the console chat; the same process serves the panel at
http://WEB_HOST:WEB_PORT/panel/ and prints a demo national account with a fresh password
(`panel_auth.ensure_demo_account`), so the panel can be tried at once. Never in production:
there accounts get their passwords from `python -m bot staff set-password`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Callable

from bot.handlers.web import build_app
from bot.services.container import Services
from bot.services.panel_auth import ensure_demo_account


def _listening_socket(host: str, port: int) -> socket.socket | None:
    """A socket bound to host:port, or None when the port is taken (the chat still opens)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            return None
        raise
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def local_panel(
    services: Services, *, write: Callable[[str], None] = print, port: int | None = None
) -> AsyncIterator[str | None]:
    """Serves the web app while the block runs; yields the panel's URL (None: not served)."""
    import uvicorn

    settings = services.settings
    if settings.is_production:
        yield None
        return
    host = settings.web_host
    sock = _listening_socket(host, settings.web_port if port is None else port)
    if sock is None:
        write(
            f"El panel del personal no se abrió: el puerto {settings.web_port} está ocupado "
            "(cambie WEB_PORT en .env)."
        )
        yield None
        return
    async with services.session_factory() as session, session.begin():
        account, password = await ensure_demo_account(session, services.clock())
    bound_port = sock.getsockname()[1]
    url = f"http://{host}:{bound_port}/panel/"
    config = uvicorn.Config(build_app(services), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="local-panel")
    write(f"Panel del personal: {url}  — cuenta {account}, contraseña {password}")
    write("(cuenta de demostración nacional; la contraseña cambia en cada inicio)")
    try:
        yield url
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()

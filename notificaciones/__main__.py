"""`python -m notificaciones` runs the SMS dispatcher and scheduler; `… web` runs the webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import sys

from bot.cli.common import SettingsError, load_settings, setup_logging
from bot.config import MissingSetting


def main(argv: list[str]) -> int:
    """Parses the one optional argument (`web`) and runs that mode until interrupted."""
    if argv not in ([], ["web"]):
        print("Uso: python -m notificaciones [web]", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        setup_logging(settings)
        if argv == ["web"]:
            from notificaciones.web import serve

            serve(settings)
            return 0
        from bot.services.container import build_services
        from notificaciones.runner import run_notifications

        async def run() -> None:
            services = await build_services(settings)
            try:
                await run_notifications(services)
            finally:
                await services.close()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run())
    except (MissingSetting, SettingsError) as error:
        print(f"Error de configuración: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Shared fixtures: a fresh database per test, services with a fake clock, the flow engine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.flows.engine import FlowEngine
from bot.flows.registry import build_flows
from bot.runtime.composition import build_services
from bot.services.container import Services
from tests.support.clock import FakeClock
from tests.support.database import build_template, fresh_database

# Tests run like a configured deployment (PostgreSQL needs the key); tests of the generated key
# pass `audit_pseudonym_key=None` explicitly.
os.environ.setdefault("AUDIT_PSEUDONYM_KEY", "tests-only-audit-pseudonym-key")
os.environ.setdefault("PANEL_SESSION_KEY", "tests-only-panel-session-key")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Builds the intent model when missing or older than the corpus (as `make install` does),
    so `pytest` alone runs against the corpus as it is."""
    from bot.nlu.corpus import MODEL_FILE, corpus_digest, load_corpus, load_settings
    from bot.nlu.model import IntentModel, ModelMissing
    from bot.nlu.training import train

    try:
        current = IntentModel.load().digest == corpus_digest()
    except ModelMissing:
        current = False
    if not current:
        train(load_corpus(), load_settings(), corpus_digest()).save(MODEL_FILE)


@pytest.fixture(scope="session")
def template_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with reference data, built once per test run."""
    return build_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def database_url(template_url: str, tmp_path: Path) -> str:
    """A migrated database with reference data and nothing else, for one test."""
    return await fresh_database(template_url, tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    """The injected clock (2026-11-20 15:00 UTC unless a test moves it)."""
    return FakeClock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for tests: no .env, no tokens, the test database."""
    return Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]


@pytest.fixture
async def services(settings: Settings, clock: FakeClock) -> AsyncIterator[Services]:
    """The application services on the test database."""
    built = await build_services(settings, clock=clock)
    yield built
    await built.close()


@pytest.fixture
def flow_engine(services: Services) -> FlowEngine:
    """The flow engine with every registered flow."""
    return FlowEngine(services, build_flows())

"""The one storage class implements every consumer's port, and nothing no consumer calls.

mypy checks the same statically where the composition root hands ``SqlStorage`` to each
consumer (``bot/app/bootstrap.py``, ``bot/app/cli.py``); this test says it in one place and
also catches a storage method that no port lists any more.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from bot.app.ports import DemoStore, OperatorStore, OutboxGauge
from bot.commands.lookback_ports import LookBackStore
from bot.commands.ports import CommandStore, ScopeUsageStore
from bot.delivery.digest_ports import DigestReader, DigestStore
from bot.delivery.page import PageStore
from bot.delivery.ports import DispatcherStore, TranslationReader
from bot.feeds.ports import WatcherStore
from bot.stories.ports import PipelineStore, RetentionStore
from bot.summaries.ports import BudgetStore, TranslationStore
from storage import SqlStorage

STORE_PORTS: tuple[type[Any], ...] = (
    WatcherStore,
    PipelineStore,
    DispatcherStore,
    CommandStore,
    ScopeUsageStore,
    LookBackStore,
    PageStore,
    DigestStore,
    DigestReader,
    OutboxGauge,
    DemoStore,
    OperatorStore,
    BudgetStore,
    RetentionStore,
    TranslationStore,
    TranslationReader,
)
# Public methods of SqlStorage that belong to the composition root or to storage itself.
NOT_A_PORT = {
    "close": "the composition root closes what it opened",
    "ping": "the composition root's /readyz check",
    "run": "the transaction helper the storage modules share",
    "run_together": "the shared-transaction helper the storage modules share",
    "insert": "the dialect-neutral INSERT the storage modules share",
    "upsert": "the dialect-neutral INSERT ... ON CONFLICT UPDATE the storage modules share",
    "coalescer": "the group commit the storage modules share",
}


def port_methods(port: type[Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(port).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def shape(function: Any) -> list[tuple[str, Any, Any, Any]]:
    """Parameters (name, kind, default, resolved type) and the return type, without self."""
    hints = typing.get_type_hints(function)
    params = list(inspect.signature(function).parameters.values())[1:]
    return [
        *((p.name, p.kind, p.default, hints.get(p.name)) for p in params),
        ("return", None, None, hints.get("return")),
    ]


@pytest.mark.parametrize("port", STORE_PORTS, ids=lambda port: port.__name__)
def test_sql_storage_implements_the_port(port: type[Any]) -> None:
    methods = port_methods(port)
    assert methods, f"{port.__name__} lists no method"
    for name, declared in methods.items():
        implemented = getattr(SqlStorage, name, None)
        assert implemented is not None, f"SqlStorage lacks {port.__name__}.{name}"
        assert inspect.iscoroutinefunction(implemented) == inspect.iscoroutinefunction(declared)
        assert shape(implemented) == shape(declared), f"{port.__name__}.{name} differs"


@pytest.mark.parametrize("port", STORE_PORTS, ids=lambda port: port.__name__)
def test_every_port_method_is_documented(port: type[Any]) -> None:
    for name, declared in port_methods(port).items():
        assert inspect.getdoc(declared), f"{port.__name__}.{name} has no docstring"


def test_every_storage_method_has_a_consumer() -> None:
    """A method no port lists is called by nobody outside storage: remove it."""
    listed = {name for port in STORE_PORTS for name in port_methods(port)}
    public = {
        name
        for name, value in inspect.getmembers(SqlStorage)
        if not name.startswith("_") and inspect.isfunction(value)
    }
    assert public - listed == set(NOT_A_PORT)

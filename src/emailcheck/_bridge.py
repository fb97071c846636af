"""Run a coroutine to completion from sync code, whether or not a loop is running here."""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` when this thread has no running loop; otherwise (Jupyter, sync
    code called from async code) hand the coroutine to a helper thread's loop and wait,
    since the caller's own loop cannot be re-entered."""
    import asyncio  # lazily: an offline verify() never gets here
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    future = asyncio.run_coroutine_threadsafe(coro, _helper_loop())
    return future.result()


def _helper_loop() -> asyncio.AbstractEventLoop:
    global _loop
    import asyncio
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="emailcheck-bridge", daemon=True
            )
            thread.start()
            _loop = loop
        return _loop

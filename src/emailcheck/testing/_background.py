"""Test servers that run their own event loop in a daemon thread."""

from __future__ import annotations

import ipaddress
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from typing_extensions import Self

START_TIMEOUT: Final = 10.0


class BackgroundServer:
    """Start, stop and context-manager plumbing shared by the sandbox's servers.

    A subclass sets ``host``, ``port`` and ``_thread = None`` in ``__init__``, and
    implements ``_run(ready, failure)`` (runs in the thread: bind, set ``port``, call
    ``ready.set()``, serve until stopped; on a bind error append it to ``failure`` and
    set ``ready``) and ``stop()``.
    """

    host: str
    port: int
    _thread: threading.Thread | None

    def _bind_to(self, host: str, port: int) -> None:
        """Check and keep the listening address: loopback only, never anything else."""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the sandbox listens on loopback addresses only, not {host!r}")
        if not 0 <= port < 65536:
            raise ValueError(f"port must be 0 (any free port) or a port number, not {port!r}")
        self.host = host
        self.port = port
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> Self:
        """Bind and serve in a background thread; ``port`` is known once this returns."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._run, args=(ready, failure), daemon=True,
            name=f"{type(self).__name__}-{self.host}",
        )
        thread.start()
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError(f"{type(self).__name__} did not start")
        if failure:
            thread.join()
            raise failure[0]
        self._thread = thread
        return self

    def stop(self) -> None:
        raise NotImplementedError

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

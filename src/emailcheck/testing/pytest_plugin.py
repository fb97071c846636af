"""pytest fixtures for the sandbox: add ``pytest_plugins = ["emailcheck.testing.pytest_plugin"]``
to your ``conftest.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from ._sandbox import MailDomain, Sandbox

SandboxFactory = Callable[[Mapping[str, MailDomain]], Sandbox]


@pytest.fixture
def email_sandbox() -> Iterator[SandboxFactory]:
    """Start sandboxes from domain descriptions; all of them stop after the test."""
    started: list[Sandbox] = []

    def start(domains: Mapping[str, MailDomain]) -> Sandbox:
        sandbox = Sandbox(domains).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in reversed(started):
        sandbox.stop()

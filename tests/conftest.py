"""The project's own tests use the sandbox fixture exactly as users would."""

pytest_plugins = ["emailcheck.testing.pytest_plugin"]

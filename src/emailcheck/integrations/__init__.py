"""Framework integrations (pydantic, Django, WTForms); each module imports its framework.

Nothing here is imported by ``import emailcheck``: import the module you need, e.g.
``from emailcheck.integrations.pydantic import EmailAddress``.
"""

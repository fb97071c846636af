"""A loopback sandbox of real DNS and SMTP servers, for testing code that verifies email.

Needs the ``testing`` extra (``pip install "emailcheck[testing]"``: aiosmtpd, dnslib,
trustme). Nothing here touches the internet: every server listens on 127.0.0.x.
"""

from ._dns_server import DNSServer, DomainSpec
from ._sandbox import MailDomain, Sandbox
from ._smtp_server import HostileSMTPServer, SMTPServer, SMTPSession

__all__ = [
    "DNSServer",
    "DomainSpec",
    "HostileSMTPServer",
    "MailDomain",
    "SMTPServer",
    "SMTPSession",
    "Sandbox",
]

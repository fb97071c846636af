"""One loopback world of domains for the end-to-end tests (test_network, test_bulk)."""

from __future__ import annotations

from emailcheck.testing import MailDomain

DOMAINS = {
    "shop.test": MailDomain(mailboxes={"alice", "sales", "josé"}),
    "catchall.test": MailDomain(catch_all=True, mailboxes={"boss"}),
    "nullmx.test": MailDomain(dns="null_mx"),
    "implicit.test": MailDomain(dns="implicit_mx", mailboxes={"bob"}),
    "servfail.test": MailDomain(dns="servfail"),
    "slowdns.test": MailDomain(dns="timeout"),
    "nomail.test": MailDomain(dns="no_mail"),
    "deadmx.test": MailDomain(dns="dead_mx"),
    "nowhere.test": MailDomain(dns="unresolvable_mx"),
    "backup.test": MailDomain(secondary=True, mailboxes={"carol"}),
    "grey.test": MailDomain(greylist=True, greylist_retry=120, mailboxes={"dan", "eve"}),
    "full.test": MailDomain(full={"erin"}),
    "disabled.test": MailDomain(disabled={"frank"}),
    "blocked.test": MailDomain(policy_block=True, mailboxes={"gina"}),
    "busy.test": MailDomain(greeting="421 4.3.2 too busy"),
    "ascii.test": MailDomain(smtputf8=False, mailboxes={"josé", "hans"}),
    "tls.test": MailDomain(starttls=True, mailboxes={"ivy"}),
    "limit.test": MailDomain(max_recipients=1, mailboxes={"jan"}),
    "silent.test": MailDomain(hostile="silent"),
    "endless.test": MailDomain(hostile="endless_multiline"),
    "hugeline.test": MailDomain(hostile="huge_line"),
    "hangup.test": MailDomain(hostile="disconnect_mid_reply", extra={"trigger": "RCPT"}),
    "garbage.test": MailDomain(hostile="garbage"),
    # Real-looking names work too: the resolver only ever asks the loopback server.
    "hotmall.com": MailDomain(mailboxes={"kim"}),
}

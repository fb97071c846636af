"""SMTP reply classification: real-world replies, enhanced codes, retry hints, robustness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emailcheck import Reason
from emailcheck._replies import (
    SCAN_LIMIT,
    ReplyKind,
    ReplyMeaning,
    classify_reply,
    parse_enhanced,
)

PERM, TEMP = ReplyKind.PERMANENT, ReplyKind.TRANSIENT
NF = Reason.MAILBOX_NOT_FOUND


def case(code: int, text: str, *meaning: object, id: str) -> object:
    """(code, text as the probe hands it over: code prefixes removed, lines joined with
    "\n"), then what it means: reason, kind, enhanced code, retry_after."""
    return pytest.param(code, text, meaning, id=id)


REPLIES = [
    # -- Gmail
    case(
        550, "5.1.1 The email account that you tried to reach does not exist. Please try\n"
        "5.1.1 double-checking the recipient's email address for typos or\n"
        "5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser",
        NF, PERM, "5.1.1", None, id="gmail-no-such-user"),
    case(
        550, "5.2.1 The email account that you tried to reach is disabled.",
        Reason.MAILBOX_DISABLED, PERM, "5.2.1", None, id="gmail-disabled"),
    case(
        452, "4.2.2 The email account that you tried to reach is over quota. Please direct\n"
        "4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
        Reason.MAILBOX_FULL, TEMP, "4.2.2", None, id="gmail-over-quota"),
    case(
        450, "4.2.1 The user you are trying to contact is receiving mail at a rate that\n"
        "4.2.1 prevents additional messages from being delivered.",
        Reason.RATE_LIMITED, TEMP, "4.2.1", None, id="gmail-per-user-rate"),
    case(
        421, "4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail\n"
        "4.7.28 originating from your IP address. To protect our users from spam, mail\n"
        "4.7.28 sent from your IP address has been temporarily rate limited.",
        Reason.RATE_LIMITED, TEMP, "4.7.28", None, id="gmail-mail-flood"),
    case(
        550, "5.7.1 [192.0.2.1] Our system has detected that this message is likely\n"
        "5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail, this\n"
        "5.7.1 message has been blocked.",
        Reason.BLOCKED, PERM, "5.7.1", None, id="gmail-blocked"),
    case(
        550, "5.7.26 This mail has been blocked because the sender is unauthenticated.\n"
        "5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.",
        Reason.POLICY_REJECTION, PERM, "5.7.26", None, id="gmail-unauthenticated-sender"),
    case(
        553, "5.1.3 The recipient address <a b@gmail.com> is not a valid RFC-5321 address.",
        Reason.MAILBOX_NAME_INVALID, PERM, "5.1.3", None, id="gmail-bad-syntax"),
    case(
        421, "4.7.0 Try again later, closing connection. (EHLO)",
        Reason.TEMPORARY_FAILURE, TEMP, "4.7.0", None, id="gmail-try-later-421"),
    case(
        530, "5.7.0 Must issue a STARTTLS command first.",
        Reason.POLICY_REJECTION, PERM, "5.7.0", None, id="gmail-starttls-first"),
    case(
        550, "5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to send\n"
        "5.7.1 email directly to our servers. Please use the SMTP relay at your service\n"
        "5.7.1 provider instead.",
        Reason.BLOCKED, PERM, "5.7.1", None, id="gmail-dynamic-ip"),
    # -- Outlook.com, Exchange and Office 365
    case(
        550, "5.5.0 Requested action not taken: mailbox unavailable (S2017062302).",
        NF, PERM, "5.5.0", None, id="outlook-mailbox-unavailable"),
    case(
        550, "5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list "
        "(S3150).", Reason.BLOCKED, PERM, "5.7.1", None, id="outlook-block-list"),
    case(
        421, "4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to "
        "IP reputation.", Reason.RATE_LIMITED, TEMP, "4.7.650", None,
        id="outlook-reputation-rate"),
    case(
        451, "4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS843)",
        Reason.RATE_LIMITED, TEMP, "4.7.500", None, id="outlook-server-busy"),
    case(
        550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address "
        "lookup", NF, PERM, "5.1.10", None, id="exchange-5.1.10-recipient-not-found"),
    case(
        550, "5.1.1 RESOLVER.ADR.RecipNotFound; not found",
        NF, PERM, "5.1.1", None, id="exchange-recipnotfound"),
    case(
        550, "5.4.1 Recipient address rejected: Access denied. AS(201806281) "
        "[DB5EUR03FT041.eop-EUR03.prod.protection.outlook.com]",
        NF, PERM, "5.4.1", None, id="o365-directory-edge-blocking"),
    case(
        550, "5.4.1 [a@example.com]: Relay Access Denied ATTR35",
        Reason.RELAY_DENIED, PERM, "5.4.1", None, id="o365-relay"),
    case(
        550, "5.7.64 TenantAttribution; Relay Access Denied",
        Reason.RELAY_DENIED, PERM, "5.7.64", None, id="o365-tenant-relay"),
    case(
        530, "5.7.57 Client not authenticated to send mail. Error: 535 5.7.3 "
        "Authentication unsuccessful", Reason.AUTHENTICATION_REQUIRED, PERM, "5.7.57", None,
        id="o365-not-authenticated"),
    case(
        550, "5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from "
        "this list please visit https://sender.office.com/",
        Reason.BLOCKED, PERM, "5.7.606", None, id="o365-banned-ip"),
    case(
        452, "4.3.1 Insufficient system resources",
        Reason.TEMPORARY_FAILURE, TEMP, "4.3.1", None, id="exchange-resources"),
    case(
        554, "5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException",
        Reason.MAILBOX_FULL, PERM, "5.2.2", None, id="exchange-quota"),
    # -- Yahoo / AOL
    case(
        554, "delivery error: dd This user doesn't have a yahoo.com account "
        "(a@yahoo.com) [0] - mta1001.mail.gq1.yahoo.com",
        NF, PERM, None, None, id="yahoo-no-account"),
    case(
        554, "delivery error: dd Sorry your message to a@yahoo.com cannot be delivered. "
        "This mailbox is disabled (554.30).",
        Reason.MAILBOX_DISABLED, PERM, None, None, id="yahoo-disabled"),
    case(
        421, "4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/",
        Reason.RATE_LIMITED, TEMP, "4.7.0", None, id="yahoo-tss04"),
    case(
        553, "5.7.2 [TSS09] All messages from 192.0.2.1 will be permanently deferred; "
        "Retrying will NOT succeed.", Reason.BLOCKED, PERM, "5.7.2", None, id="yahoo-tss09"),
    case(
        554, "5.7.9 Message not accepted for policy reasons.",
        Reason.POLICY_REJECTION, PERM, "5.7.9", None, id="yahoo-policy"),
    # -- Postfix
    case(
        550, "5.1.1 <a@example.com>: Recipient address rejected: User unknown in local "
        "recipient table", NF, PERM, "5.1.1", None, id="postfix-user-unknown"),
    case(
        550, "5.1.1 <a@example.com>: Recipient address rejected: User unknown in virtual "
        "mailbox table", NF, PERM, "5.1.1", None, id="postfix-virtual-unknown"),
    case(
        554, "5.7.1 <a@example.com>: Relay access denied",
        Reason.RELAY_DENIED, PERM, "5.7.1", None, id="postfix-relay"),
    case(
        454, "4.7.1 <a@example.com>: Relay access denied",
        Reason.RELAY_DENIED, TEMP, "4.7.1", None, id="postfix-relay-soft"),
    case(
        554, "5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
        "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
        Reason.BLOCKED, PERM, "5.7.1", None, id="postfix-spamhaus"),
    case(
        450, "4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]",
        Reason.BLOCKED, TEMP, "4.7.1", None, id="postfix-no-ptr"),
    case(
        450, "4.2.0 <a@example.com>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.com.html",
        Reason.GREYLISTED, TEMP, "4.2.0", 300.0, id="postfix-postgrey"),
    case(
        450, "4.1.1 <a@example.com>: Recipient address rejected: unverified address: "
        "host mx.example.com[192.0.2.7] said: 550 5.1.1 user unknown",
        NF, TEMP, "4.1.1", None, id="postfix-unverified-recipient"),
    case(
        550, "5.7.1 <a@example.com>: Recipient address rejected: Access denied",
        Reason.POLICY_REJECTION, PERM, "5.7.1", None, id="postfix-access-map"),
    case(
        550, "5.1.0 <probe@verifier.example>: Sender address rejected: User unknown in "
        "local recipient table", Reason.POLICY_REJECTION, PERM, "5.1.0", None,
        id="postfix-sender-unknown"),
    case(
        450, "4.1.2 <a@example.com>: Recipient address rejected: Domain not found",
        Reason.DOMAIN_NOT_SERVED, TEMP, "4.1.2", None, id="postfix-domain-not-found"),
    case(
        452, "4.5.3 Error: too many recipients",
        Reason.TOO_MANY_RECIPIENTS, TEMP, "4.5.3", None, id="postfix-too-many-rcpt"),
    case(
        452, "4.3.1 Insufficient system storage",
        Reason.TEMPORARY_FAILURE, TEMP, "4.3.1", None, id="postfix-disk"),
    case(
        421, "4.7.0 mx.example.com Error: too many connections from 192.0.2.1",
        Reason.RATE_LIMITED, TEMP, "4.7.0", None, id="postfix-connection-limit"),
    case(
        503, "5.5.1 Error: need MAIL command",
        Reason.PROTOCOL_ERROR, PERM, "5.5.1", None, id="postfix-bad-sequence"),
    case(
        553, "5.7.1 <probe@verifier.example>: Sender address rejected: not logged in",
        Reason.AUTHENTICATION_REQUIRED, PERM, "5.7.1", None, id="postfix-login-mismatch"),
    case(
        552, "5.3.4 Message size exceeds fixed limit",
        Reason.MESSAGE_TOO_LARGE, PERM, "5.3.4", None, id="postfix-message-size"),
    # -- Exim (and cPanel)
    case(550, "Unrouteable address", NF, PERM, None, None, id="exim-unrouteable"),
    case(550, "No Such User Here", NF, PERM, None, None, id="cpanel-no-such-user"),
    case(
        550, "Verification failed for <probe@verifier.example>\nCalled:   192.0.2.7\n"
        "Sent:     RCPT TO:<probe@verifier.example>\nResponse: 550 Unknown user\n"
        "Sender verify failed", Reason.POLICY_REJECTION, PERM, None, None,
        id="exim-sender-callout"),
    case(
        550, "Administrative prohibition",
        Reason.POLICY_REJECTION, PERM, None, None, id="exim-acl"),
    case(
        451, "Temporary local problem - please try later",
        Reason.TEMPORARY_FAILURE, TEMP, None, None, id="exim-local-problem"),
    case(
        451, "Sender rate overlimit - 300.0/1h/strict",
        Reason.RATE_LIMITED, TEMP, None, None, id="exim-ratelimit"),
    case(550, "relay not permitted", Reason.RELAY_DENIED, PERM, None, None,
         id="exim-relay"),
    # -- qmail (enhanced code at the end, "(#5.1.1)")
    case(
        550, "sorry, no mailbox here by that name. (#5.1.1)",
        NF, PERM, "5.1.1", None, id="qmail-no-mailbox"),
    case(
        553, "sorry, that domain isn't in my list of allowed rcpthosts. (#5.7.1)",
        Reason.RELAY_DENIED, PERM, "5.7.1", None, id="qmail-rcpthosts"),
    case(
        553, "sorry, this recipient is not in my validrcptto list (#5.7.1)",
        NF, PERM, "5.7.1", None, id="qmail-validrcptto"),
    case(
        451, "qq temporary problem (#4.3.0)",
        Reason.TEMPORARY_FAILURE, TEMP, "4.3.0", None, id="qmail-qq"),
    case(
        421, "too many concurrent SMTPD connections",
        Reason.RATE_LIMITED, TEMP, None, None, id="qmail-concurrency"),
    # -- Sendmail
    case(550, "5.1.1 <a@example.com>... User unknown", NF, PERM, "5.1.1", None,
         id="sendmail-user-unknown"),
    case(
        550, "5.7.1 <a@example.com>... Relaying denied. Proper authentication required.",
        Reason.RELAY_DENIED, PERM, "5.7.1", None, id="sendmail-relaying-denied"),
    case(
        550, "5.2.1 <a@example.com>... Mailbox disabled for this recipient",
        Reason.MAILBOX_DISABLED, PERM, "5.2.1", None, id="sendmail-disabled"),
    case(
        452, "4.4.5 Insufficient disk space; try again later",
        Reason.TEMPORARY_FAILURE, TEMP, "4.4.5", None, id="sendmail-disk"),
    case(550, "5.1.2 <a@nowhere.example>... Host unknown",
         Reason.DOMAIN_NOT_SERVED, PERM, "5.1.2", None, id="sendmail-host-unknown"),
    case(554, "5.0.0 Service unavailable", Reason.POLICY_REJECTION, PERM, "5.0.0",
         None, id="sendmail-554-service-unavailable"),
    # -- GMX / web.de / T-Online
    case(550, "Requested action not taken: mailbox unavailable", NF, PERM, None, None,
         id="gmx-mailbox-unavailable"),
    case(
        552, "Requested mail action aborted: exceeded storage allocation",
        Reason.MAILBOX_FULL, PERM, None, None, id="gmx-storage"),
    case(
        554, "gmx.net (mxgmx017) Nemesis ESMTP Service not available\nNo SMTP service\n"
        "IP address is black listed.\nFor explanation visit "
        "https://www.gmx.net/mail/senderguidelines",
        Reason.BLOCKED, PERM, None, None, id="gmx-black-listed"),
    case(
        421, "gmx.net (mxgmx115) Nemesis ESMTP Service not available\nService unavailable\n"
        "Reject due to policy restrictions.",
        Reason.POLICY_REJECTION, TEMP, None, None, id="gmx-policy"),
    case(550, "5.1.1 <a@t-online.de>: Empfänger unbekannt", NF, PERM, "5.1.1", None,
         id="t-online"),
    # -- Mail.ru
    case(
        550, "Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is "
        "unavailable: user not found", NF, PERM, None, None, id="mailru-user-not-found"),
    case(
        550, "Message was not accepted -- invalid mailbox.  Local mailbox a@mail.ru is "
        "unavailable: account is disabled",
        Reason.MAILBOX_DISABLED, PERM, None, None, id="mailru-disabled"),
    case(
        550, "spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=x",
        Reason.POLICY_REJECTION, PERM, None, None, id="mailru-spam"),
    case(
        451, "Ratelimit exceeded for mailbox a@mail.ru. Try again later.",
        Reason.RATE_LIMITED, TEMP, None, None, id="mailru-ratelimit"),
    # -- Yandex
    case(550, "5.7.1 No such user!", NF, PERM, "5.7.1", None, id="yandex-no-such-user"),
    case(
        550, "5.7.1 Policy rejection on the target address",
        Reason.POLICY_REJECTION, PERM, "5.7.1", None, id="yandex-policy"),
    case(452, "4.2.2 Mailbox size limit exceeded", Reason.MAILBOX_FULL, TEMP, "4.2.2",
         None, id="yandex-full"),
    case(
        554, "5.7.1 [2] Message rejected under suspicion of SPAM",
        Reason.POLICY_REJECTION, PERM, "5.7.1", None, id="yandex-spam"),
    case(
        451, "4.7.1 Sorry, the service is currently unavailable. Please come back later.",
        Reason.GREYLISTED, TEMP, "4.7.1", 300.0, id="yandex-come-back-later"),
    # -- others
    case(550, "5.1.1 <a@icloud.com>: user does not exist", NF, PERM, "5.1.1", None,
         id="icloud"),
    case(
        554, "5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1",
        Reason.BLOCKED, PERM, "5.7.0", None, id="proofpoint"),
    case(
        550, "Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550",
        NF, PERM, None, None, id="mimecast-invalid-recipient"),
    case(550, "#5.1.0 Address rejected a@example.com", NF, PERM, "5.1.0", None,
         id="ironport-address-rejected"),
    case(
        553, "Requested action not taken: mailbox name not allowed",
        Reason.MAILBOX_NAME_INVALID, PERM, None, None, id="rfc5321-553"),
    case(551, "User not local; please try <a@elsewhere.example>", NF, PERM, None,
         None, id="rfc5321-551"),
    case(
        556, "5.1.10 Recipient address has null MX",
        Reason.DOMAIN_NOT_SERVED, PERM, "5.1.10", None, id="rfc7505-null-mx"),
    case(
        553, "5.6.7 Non-ASCII addresses not permitted for that recipient",
        Reason.SMTPUTF8_UNSUPPORTED, PERM, "5.6.7", None, id="rfc6531-no-smtputf8"),
    case(530, "SMTP authentication is required.", Reason.AUTHENTICATION_REQUIRED,
         PERM, None, None, id="hmailserver-auth"),
    case(
        550, "Domino: User not listed in public Name & Address Book", NF, PERM, None, None,
        id="domino-not-listed"),
    case(
        451, "Temporary failure, please try again later.",
        Reason.GREYLISTED, TEMP, None, 300.0, id="openbsd-spamd"),
    # -- greylisting and its retry hints
    case(
        451, "4.7.1 Greylisting in action, please come back in 00:10:00",
        Reason.GREYLISTED, TEMP, "4.7.1", 600.0, id="milter-greylist"),
    case(
        450, "4.7.1 Greylisted for 5 minutes", Reason.GREYLISTED, TEMP, "4.7.1", 300.0,
        id="greylisted-for"),
    case(
        450, "4.7.1 You are greylisted, please retry in 120 seconds",
        Reason.GREYLISTED, TEMP, "4.7.1", 120.0, id="greylisted-retry-in"),
    case(
        451, "Please retry after 60s", Reason.GREYLISTED, TEMP, None, 60.0,
        id="retry-after-60s"),
    case(
        450, "Try again in 5 minutes", Reason.GREYLISTED, TEMP, None, 300.0,
        id="try-again-in-minutes"),
    case(
        421, "Too many connections, come back in 1 hour", Reason.RATE_LIMITED, TEMP, None,
        3600.0, id="rate-come-back-in-hour"),
    case(
        450, "Bitte versuchen Sie es in 10 Minuten erneut (Greylisting)",
        Reason.GREYLISTED, TEMP, None, 600.0, id="de-greylisting"),
    # -- languages, without an enhanced code to lean on
    case(550, "Benutzer unbekannt", NF, PERM, None, None, id="de-user-unknown"),
    case(550, "Unbekannter Empfänger <a@example.de>", NF, PERM, None, None,
         id="de-unknown-recipient"),
    case(550, "Postfach voll", Reason.MAILBOX_FULL, PERM, None, None, id="de-full"),
    case(550, "Utilisateur inconnu", NF, PERM, None, None, id="fr-user-unknown"),
    case(550, "Adresse inconnue: a@exemple.fr", NF, PERM, None, None,
         id="fr-address-unknown"),
    case(550, "L'adresse n’existe pas", NF, PERM, None, None, id="fr-does-not-exist"),
    case(450, "Boîte pleine, réessayez plus tard", Reason.MAILBOX_FULL, TEMP, None,
         None, id="fr-full"),
    case(550, "Boite aux lettres pleine", Reason.MAILBOX_FULL, PERM, None, None,
         id="fr-full-no-accent"),
    case(550, "Usuario desconocido", NF, PERM, None, None, id="es-user-unknown"),
    case(550, "El buzón está lleno", Reason.MAILBOX_FULL, PERM, None, None,
         id="es-full"),
    case(550, "Utente sconosciuto", NF, PERM, None, None, id="it-user-unknown"),
    case(550, "Casella piena", Reason.MAILBOX_FULL, PERM, None, None, id="it-full"),
    case(550, "Usuário desconhecido", NF, PERM, None, None, id="pt-user-unknown"),
    case(550, "Usuario desconhecido", NF, PERM, None, None, id="pt-without-accent"),
    case(550, "Onbekende gebruiker", NF, PERM, None, None, id="nl-user-unknown"),
    case(550, "Postvak vol", Reason.MAILBOX_FULL, PERM, None, None, id="nl-full"),
    case(550, "Пользователь не найден", NF, PERM, None, None, id="ru-user-not-found"),
    case(550, "ПОЧТОВЫЙ ЯЩИК НЕ СУЩЕСТВУЕТ", NF, PERM, None, None,
         id="ru-upper-case"),
    case(550, "Ящик переполнен", Reason.MAILBOX_FULL, PERM, None, None, id="ru-full"),
    case(550, "Skrzynka odbiorcy nie istnieje", NF, PERM, None, None,
         id="pl-does-not-exist"),
    case(550, "Nieznany użytkownik", NF, PERM, None, None, id="pl-user-unknown"),
    case(550, "Twój adres IP jest na czarnej liście", Reason.BLOCKED, PERM, None,
         None, id="pl-blacklist"),
    case(554, "Ваш IP-адрес в черном списке", Reason.BLOCKED, PERM, None, None,
         id="ru-blacklist-without-yo"),
    # -- the bare codes
    case(250, "2.1.5 Ok", Reason.ACCEPTED, ReplyKind.ACCEPTED, "2.1.5", None,
         id="accepted"),
    case(251, "User not local; will forward to <a@elsewhere.example>",
         Reason.ACCEPTED, ReplyKind.ACCEPTED, None, None, id="accepted-forward"),
    case(354, "End data with <CR><LF>.<CR><LF>", Reason.PROTOCOL_ERROR,
         ReplyKind.INTERMEDIATE, None, None, id="intermediate"),
    case(421, "Service not available, closing transmission channel",
         Reason.TEMPORARY_FAILURE, TEMP, None, None, id="421"),
    case(450, "Requested mail action not taken: mailbox unavailable",
         Reason.TEMPORARY_FAILURE, TEMP, None, None, id="450-rfc-text"),
    case(451, "Requested action aborted: local error in processing",
         Reason.TEMPORARY_FAILURE, TEMP, None, None, id="451-rfc-text"),
    case(452, "Too many recipients", Reason.TOO_MANY_RECIPIENTS, TEMP, None, None,
         id="452-recipients"),
    case(452, "Mailbox quota exceeded", Reason.MAILBOX_FULL, TEMP, None, None,
         id="452-quota"),
    case(452, "Requested action not taken: insufficient system storage",
         Reason.TEMPORARY_FAILURE, TEMP, None, None, id="452-system-storage"),
    case(500, "Syntax error, command unrecognized", Reason.PROTOCOL_ERROR, PERM,
         None, None, id="500"),
    case(502, "VRFY disabled", Reason.PROTOCOL_ERROR, PERM, None, None,
         id="502-words-ignored"),
    case(530, "", Reason.AUTHENTICATION_REQUIRED, PERM, None, None, id="530"),
    case(530, "5.7.0 Authentication required", Reason.AUTHENTICATION_REQUIRED, PERM, "5.7.0",
         None, id="530-5.7.0"),
    case(550, "5.7.0 Authentication required", Reason.AUTHENTICATION_REQUIRED, PERM, "5.7.0",
         None, id="550-5.7.0-authentication"),
    case(451, "4.7.0 Greylisted, please try again", Reason.GREYLISTED, TEMP, "4.7.0", 300.0,
         id="451-4.7.0-greylisted"),
    case(535, "5.7.8 Error: authentication failed: Invalid user or password",
         Reason.AUTHENTICATION_REQUIRED, PERM, "5.7.8", None, id="535-not-about-mailboxes"),
    case(550, "", NF, PERM, None, None, id="550-empty"),
    case(550, "<a@example.com>...", NF, PERM, None, None, id="550-address-only"),
    case(550, "Go away", Reason.SMTP_UNCLASSIFIED, PERM, None, None,
         id="550-unreadable-words"),
    case(550, "5.7.0", Reason.POLICY_REJECTION, PERM, "5.7.0", None,
         id="550-bare-policy-code"),
    case(552, "", Reason.MAILBOX_FULL, PERM, None, None, id="552"),
    case(553, "", Reason.MAILBOX_NAME_INVALID, PERM, None, None, id="553"),
    case(554, "Transaction failed", Reason.POLICY_REJECTION, PERM, None, None,
         id="554"),
    case(555, "MAIL FROM/RCPT TO parameters not recognized or not implemented",
         Reason.PROTOCOL_ERROR, PERM, None, None, id="555"),
    case(521, "5.3.2 mx.example.com does not accept mail", Reason.DOMAIN_NOT_SERVED,
         PERM, "5.3.2", None, id="rfc7504-521"),
    case(499, "", Reason.TEMPORARY_FAILURE, TEMP, None, None, id="other-4xx"),
    case(599, "", Reason.SMTP_UNCLASSIFIED, PERM, None, None, id="other-5xx"),
    case(199, "", Reason.SMTP_UNCLASSIFIED, TEMP, None, None, id="1xx"),
    case(700, "5.1.1 user unknown", Reason.SMTP_UNCLASSIFIED, TEMP, None, None,
         id="not-an-smtp-code"),
    case(-1, "", Reason.SMTP_UNCLASSIFIED, TEMP, None, None, id="negative"),
]


@pytest.mark.parametrize(("code", "text", "expected"), REPLIES)
def test_real_world_replies(code: int, text: str, expected: tuple[object, ...]) -> None:
    meaning = classify_reply(code, text)
    assert (meaning.reason, meaning.kind, meaning.enhanced, meaning.retry_after) == expected
    assert meaning.code == code
    assert meaning.text == text


@pytest.mark.parametrize(("text", "expected"), [
    ("5.1.1 user unknown", "5.1.1"),
    ("  4.7.1 greylisted", "4.7.1"),
    ("2.0.0", "2.0.0"),
    ("5.7.606 banned", "5.7.606"),
    ("5.1.10 RESOLVER", "5.1.10"),
    ("#5.1.0 Address rejected", "5.1.0"),
    ("4.2.2\nover quota", "4.2.2"),
    ("sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"),
    ("", None),
    ("user unknown 5.1.1", None),  # RFC 2034: only at the start
    ("3.1.1 wrong class", None),
    ("6.1.1 wrong class", None),
    ("5.8.1 no such subject", None),
    ("5.10.1 subject too long", None),
    ("5.1.1000 detail too long", None),
    ("5.01.1 leading zero", None),
    ("5.1.01 leading zero", None),
    ("5.1 too short", None),
    ("5.1.1.2 too long", None),
    ("5.1.1user glued to text", None),
    ("5,1,1 commas", None),
    ("x5.1.1", None),
])
def test_parse_enhanced(text: str, expected: str | None) -> None:
    assert parse_enhanced(text) == expected


def test_an_enhanced_code_whose_class_disagrees_is_ignored() -> None:
    meaning = classify_reply(550, "4.1.1 <a@example.com>... whatever")
    assert meaning.enhanced is None
    assert meaning.reason is Reason.SMTP_UNCLASSIFIED  # the basic code decides, not 4.1.1
    meaning = classify_reply(450, "5.1.1 mailbox busy")
    assert (meaning.enhanced, meaning.reason, meaning.kind) == (
        None, Reason.TEMPORARY_FAILURE, TEMP,
    )
    assert classify_reply(250, "5.1.1 Ok").enhanced is None
    assert classify_reply(354, "2.0.0 go ahead").enhanced is None


def test_the_enhanced_argument_comes_first() -> None:
    # A DSN's Status field is passed in; the diagnostic text may carry none or another.
    meaning = classify_reply(550, "Requested action not taken", enhanced="5.2.2")
    assert (meaning.reason, meaning.enhanced) == (Reason.MAILBOX_FULL, "5.2.2")
    meaning = classify_reply(550, "5.1.1 user unknown", enhanced="5.2.2")
    assert (meaning.reason, meaning.enhanced) == (Reason.MAILBOX_FULL, "5.2.2")
    # A malformed or disagreeing argument is ignored in favour of the text's own code.
    for bad in ("5.2", "garbage", "4.2.2", "5.99.1", ""):
        meaning = classify_reply(550, "5.1.1 user unknown", enhanced=bad)
        assert (meaning.reason, meaning.enhanced) == (NF, "5.1.1"), bad


@pytest.mark.parametrize("text", [
    "4.1.1 <a@example.com>: Recipient address rejected: User unknown in local recipient table",
    "User unknown",
    "No such user here",
    "Benutzer unbekannt",
    "4.2.0 The email account that you tried to reach does not exist",
])
def test_a_temporary_user_unknown_keeps_its_reason_but_stays_transient(text: str) -> None:
    meaning = classify_reply(450, text)
    assert meaning.reason is NF
    assert meaning.kind is TEMP


@pytest.mark.parametrize("text", [
    "5.7.1 Service unavailable; client host blocked using zen.spamhaus.org; user unknown",
    "5.7.1 Recipient address rejected: Access denied",
    "5.7.1 Recipient address rejected: Message rejected due to content restrictions",
    "5.7.1 <a@example.com>: Recipient address rejected: please use your provider's relay",
    "Our IP is on a black list; recipient address rejected",
    "Requested action not taken: mailbox unavailable (your IP has a poor reputation)",
    "5.7.1 Sender address rejected: no such user",
])
def test_a_block_or_policy_reply_is_never_mailbox_not_found(text: str) -> None:
    assert classify_reply(550, text).reason is not NF


def test_the_enhanced_code_outranks_words_when_it_is_specific() -> None:
    assert classify_reply(550, "5.1.1 blocked: user unknown").reason is NF
    assert classify_reply(552, "5.2.2 spam policy").reason is Reason.MAILBOX_FULL
    # x.7.1 is generic: the words decide.
    assert classify_reply(550, "5.7.1 user unknown").reason is NF
    assert classify_reply(550, "5.7.1 blocked").reason is Reason.BLOCKED
    assert classify_reply(550, "5.7.1 go away").reason is Reason.POLICY_REJECTION


def test_retry_after_is_only_given_for_transient_replies() -> None:
    assert classify_reply(550, "5.7.1 greylisted, try again in 5 minutes").retry_after is None
    assert classify_reply(421, "4.7.0 try again in 5 minutes").retry_after == 300.0
    assert classify_reply(451, "Temporary local problem").retry_after is None
    # Absurd delays are capped at a day.
    assert classify_reply(450, "greylisted, retry in 9999999 hours").retry_after == 86400.0


def test_only_the_first_4096_characters_are_read() -> None:
    filler = "x" * SCAN_LIMIT
    assert classify_reply(550, filler + " user unknown").reason is Reason.SMTP_UNCLASSIFIED
    assert classify_reply(550, "user unknown " + filler).reason is NF
    huge = "5.1.1 " + "user unknown " * 200_000
    meaning = classify_reply(550, huge)
    assert meaning.reason is NF
    assert meaning.text is huge


def test_hostile_text_is_classified_not_raised() -> None:
    for text in ("\x00\r\n\x1b[31m", "\ud800 lone surrogate", "<" * 10_000, "é" * 5000,
         "İ" * 5000, "5." * 3000, "in 99:99:99", "retry in 1e309 seconds"):
        for code in (250, 421, 450, 550, 554, 999):
            assert isinstance(classify_reply(code, text), ReplyMeaning)


# Pieces of real replies, so that generated texts reach the phrase table and hints.
FRAGMENTS = [
    "5.1.1 ", "4.7.1 ", "5.7.1 ", "4.2.2 ", "2.0.0 ", "#5.1.0 ", "(#4.3.0)", "user unknown",
    "greylisted", "try again in 5 minutes", "in 00:05:00", "blocked", "relay access denied",
    "quota", "Postfach voll", "не существует", "<a@example.com>", "\n", " ", "SPF",
    "mailbox unavailable", "recipient address rejected", "too many recipients", "İ",
]


def _kind_of(code: int) -> ReplyKind:
    return {2: ReplyKind.ACCEPTED, 3: ReplyKind.INTERMEDIATE, 4: TEMP, 5: PERM}.get(
        code // 100 if 100 <= code <= 599 else 0, TEMP,
    )


def _check_invariants(code: int, text: str, enhanced: str | None = None) -> None:
    meaning = classify_reply(code, text, enhanced)
    assert isinstance(meaning.reason, Reason)
    assert meaning.kind is _kind_of(code)
    if 400 <= code <= 499:
        assert meaning.kind is not PERM
    if 200 <= code <= 299:
        assert meaning.reason is Reason.ACCEPTED
    if meaning.enhanced is not None:
        assert meaning.enhanced[0] == str(code)[0]
        assert parse_enhanced(meaning.enhanced) == meaning.enhanced
    if meaning.kind is not TEMP:
        assert meaning.retry_after is None
    elif meaning.retry_after is not None:
        assert 0.0 <= meaning.retry_after <= 86400.0


@settings(max_examples=300, deadline=None)
@given(
    code=st.integers(),
    text=st.text(alphabet=st.characters(exclude_categories=()), max_size=300),
    enhanced=st.none() | st.text(max_size=12),
)
def test_never_raises_and_kind_follows_the_first_digit(
    code: int, text: str, enhanced: str | None,
) -> None:
    _check_invariants(code, text, enhanced)


@settings(max_examples=300, deadline=None)
@given(
    code=st.integers(min_value=200, max_value=599),
    pieces=st.lists(st.sampled_from(FRAGMENTS), max_size=8),
)
def test_realistic_pieces_keep_the_invariants(code: int, pieces: list[str]) -> None:
    _check_invariants(code, "".join(pieces))

"""Reason codes: the stable, documented vocabulary of every verdict."""

from __future__ import annotations

from ._enum import StrEnum


class Reason(StrEnum):
    """Why an address got its status. Values are stable snake_case strings.

    Every member has an entry in ``REASON_INFO`` (a description and what to do), which
    ``docs/reasons.md`` mirrors; a test keeps the two in step.
    """

    # -- syntax: the address cannot be mailed as written (status invalid) --
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID_UNICODE = "invalid_unicode"
    CONTROL_CHARACTER = "control_character"
    UNSAFE_UNICODE = "unsafe_unicode"
    CONTAINS_WHITESPACE = "contains_whitespace"
    MISSING_AT_SIGN = "missing_at_sign"
    MULTIPLE_AT_SIGNS = "multiple_at_signs"
    EMPTY_LOCAL_PART = "empty_local_part"
    LOCAL_PART_TOO_LONG = "local_part_too_long"
    LOCAL_PART_DOT_AT_EDGE = "local_part_dot_at_edge"
    LOCAL_PART_CONSECUTIVE_DOTS = "local_part_consecutive_dots"
    LOCAL_PART_INVALID_CHARACTER = "local_part_invalid_character"
    QUOTED_LOCAL_PART_NOT_ALLOWED = "quoted_local_part_not_allowed"
    QUOTED_LOCAL_PART_MALFORMED = "quoted_local_part_malformed"
    COMMENT_NOT_ALLOWED = "comment_not_allowed"
    OBSOLETE_SYNTAX = "obsolete_syntax"
    SMTPUTF8_NOT_ALLOWED = "smtputf8_not_allowed"
    EMPTY_DOMAIN = "empty_domain"
    DOMAIN_TOO_LONG = "domain_too_long"
    DOMAIN_EMPTY_LABEL = "domain_empty_label"
    DOMAIN_LABEL_TOO_LONG = "domain_label_too_long"
    DOMAIN_LABEL_HYPHEN = "domain_label_hyphen"
    DOMAIN_INVALID_CHARACTER = "domain_invalid_character"
    DOMAIN_IDNA_ERROR = "domain_idna_error"
    DOMAIN_SINGLE_LABEL = "domain_single_label"
    TLD_NUMERIC = "tld_numeric"
    TLD_INVALID = "tld_invalid"
    SPECIAL_USE_DOMAIN = "special_use_domain"
    PUBLIC_SUFFIX_DOMAIN = "public_suffix_domain"
    DOMAIN_LITERAL_NOT_ALLOWED = "domain_literal_not_allowed"
    DOMAIN_LITERAL_MALFORMED = "domain_literal_malformed"

    # -- offline signals --
    POSSIBLE_TYPO = "possible_typo"
    DISPOSABLE = "disposable"
    ROLE_ACCOUNT = "role_account"
    FREE_PROVIDER = "free_provider"

    # -- DNS --
    DOMAIN_NOT_FOUND = "domain_not_found"
    NULL_MX = "null_mx"
    NO_MAIL_SERVER = "no_mail_server"
    UNSAFE_MX_ADDRESS = "unsafe_mx_address"
    DNS_TIMEOUT = "dns_timeout"
    DNS_ERROR = "dns_error"

    # -- SMTP (also the vocabulary of bounce classification) --
    ACCEPTED = "accepted"
    CATCH_ALL = "catch_all"
    MAILBOX_NOT_FOUND = "mailbox_not_found"
    MAILBOX_DISABLED = "mailbox_disabled"
    MAILBOX_FULL = "mailbox_full"
    MAILBOX_NAME_INVALID = "mailbox_name_invalid"
    DOMAIN_NOT_SERVED = "domain_not_served"
    GREYLISTED = "greylisted"
    TEMPORARY_FAILURE = "temporary_failure"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    RATE_LIMITED = "rate_limited"
    BLOCKED = "blocked"
    POLICY_REJECTION = "policy_rejection"
    RELAY_DENIED = "relay_denied"
    AUTHENTICATION_REQUIRED = "authentication_required"
    PROTOCOL_ERROR = "protocol_error"
    SMTPUTF8_UNSUPPORTED = "smtputf8_unsupported"
    SMTP_TIMEOUT = "smtp_timeout"
    CONNECTION_FAILED = "connection_failed"
    SERVER_MISBEHAVED = "server_misbehaved"
    PROVIDER_UNVERIFIABLE = "provider_unverifiable"
    SMTP_UNCLASSIFIED = "smtp_unclassified"
    MESSAGE_TOO_LARGE = "message_too_large"

    # -- history --
    SUPPRESSED = "suppressed"

    # -- overall --
    MAILBOX_NOT_CHECKED = "mailbox_not_checked"
    CHECKER_ERROR = "checker_error"
    CHECK_FAILED = "check_failed"
    DEADLINE_EXCEEDED = "deadline_exceeded"


# (description, what a user should do). Worded for the person reading a CRM record.
REASON_INFO: dict[Reason, tuple[str, str]] = {
    Reason.EMPTY: ("The input is empty.", "Ask for an address."),
    Reason.TOO_LONG: (
        "The address is longer than 254 octets, the most SMTP can carry.",
        "Suppress; ask the person to type it again.",
    ),
    Reason.INVALID_UNICODE: (
        "The text is not valid Unicode (for example a lone surrogate from broken decoding).",
        "Suppress; the source data is corrupted, fix the import.",
    ),
    Reason.CONTROL_CHARACTER: (
        "The address holds a control character (NUL, CR, LF, TAB, DEL, …).",
        "Suppress; such input is broken or an injection attempt.",
    ),
    Reason.UNSAFE_UNICODE: (
        "The address holds invisible, bidirectional-control, unassigned, private-use or "
        "look-alike characters (such as a full-width @).",
        "Suppress; ask the person to retype the address.",
    ),
    Reason.CONTAINS_WHITESPACE: (
        "The address has a space outside a quoted local part.",
        "Strip or fix the spaces, then verify again.",
    ),
    Reason.MISSING_AT_SIGN: ("The address has no @ sign.", "Ask for a full address."),
    Reason.MULTIPLE_AT_SIGNS: (
        "The local part has an @ sign outside quotes.",
        "Ask for a single address; lists sometimes glue two together.",
    ),
    Reason.EMPTY_LOCAL_PART: ("Nothing stands before the @ sign.", "Ask for a full address."),
    Reason.LOCAL_PART_TOO_LONG: (
        "The part before the @ is longer than 64 octets (RFC 5321).",
        "Suppress.",
    ),
    Reason.LOCAL_PART_DOT_AT_EDGE: (
        "The part before the @ starts or ends with a dot.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.LOCAL_PART_CONSECUTIVE_DOTS: (
        "The part before the @ has two consecutive dots.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.LOCAL_PART_INVALID_CHARACTER: (
        "The part before the @ holds a character that needs quoting or is not allowed.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.QUOTED_LOCAL_PART_NOT_ALLOWED: (
        'A quoted local part ("john doe"@…) was rejected because strict syntax is on.',
        "Valid by the RFCs but rarely real; accept it if you turn strict mode off.",
    ),
    Reason.QUOTED_LOCAL_PART_MALFORMED: (
        "A quoted local part is not closed, or holds a character a quoted string cannot.",
        "Suppress.",
    ),
    Reason.COMMENT_NOT_ALLOWED: (
        "The address holds an RFC 5322 comment in parentheses; SMTP does not carry comments.",
        "Remove the comment and verify again.",
    ),
    Reason.OBSOLETE_SYNTAX: (
        "The address uses obsolete RFC 822 forms (quoted words joined by dots).",
        "Suppress; no current mail system needs them.",
    ),
    Reason.SMTPUTF8_NOT_ALLOWED: (
        "The local part has non-ASCII characters and internationalised addresses are disabled.",
        "Enable allow_smtputf8 if your sending platform supports SMTPUTF8.",
    ),
    Reason.EMPTY_DOMAIN: ("Nothing stands after the @ sign.", "Ask for a full address."),
    Reason.DOMAIN_TOO_LONG: ("The domain is longer than 253 octets.", "Suppress."),
    Reason.DOMAIN_EMPTY_LABEL: (
        "The domain starts or ends with a dot, or has two dots in a row.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.DOMAIN_LABEL_TOO_LONG: (
        "A part of the domain between dots is longer than 63 octets.",
        "Suppress.",
    ),
    Reason.DOMAIN_LABEL_HYPHEN: (
        "A part of the domain starts or ends with a hyphen.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.DOMAIN_INVALID_CHARACTER: (
        "The domain holds a character that no host name can.",
        "Suppress, or ask the person to correct it.",
    ),
    Reason.DOMAIN_IDNA_ERROR: (
        "The internationalised domain cannot be encoded under IDNA 2008 / UTS 46.",
        "Suppress.",
    ),
    Reason.DOMAIN_SINGLE_LABEL: (
        "The domain has no dot (user@intranet); it cannot be reached on the internet.",
        "Suppress, or ask for the full domain.",
    ),
    Reason.TLD_NUMERIC: ("The top-level domain is all digits.", "Suppress."),
    Reason.TLD_INVALID: (
        "The top-level domain has the shape no real TLD has (hyphens, odd characters).",
        "Suppress.",
    ),
    Reason.SPECIAL_USE_DOMAIN: (
        "The domain is reserved for special use (example, test, localhost, invalid, local, "
        "onion, internal, alt, arpa, …) and does not take public mail.",
        "Suppress; in tests, allow the names you use with allow_special_use.",
    ),
    Reason.PUBLIC_SUFFIX_DOMAIN: (
        "The domain is a public suffix (co.uk, com.au): nobody can own a mailbox directly there.",
        "Suppress.",
    ),
    Reason.DOMAIN_LITERAL_NOT_ALLOWED: (
        "The domain is an IP literal ([192.0.2.1]); these are off by default.",
        "Suppress, or enable allow_domain_literal for internal systems.",
    ),
    Reason.DOMAIN_LITERAL_MALFORMED: (
        "The domain literal is not a valid IPv4 or IPv6 address.",
        "Suppress.",
    ),
    Reason.POSSIBLE_TYPO: (
        "The domain is a near-miss of a popular mailbox provider; a suggestion is given.",
        "Show the suggestion to the person (never apply it silently).",
    ),
    Reason.DISPOSABLE: (
        "The domain belongs to a disposable (temporary inbox) service.",
        "Refuse at sign-up, or keep out of campaigns; the inbox will die soon.",
    ),
    Reason.ROLE_ACCOUNT: (
        "The local part names a role (info@, sales@, support@ …) rather than a person.",
        "Send, but with a message for a shared inbox; some teams segment these.",
    ),
    Reason.FREE_PROVIDER: (
        "The domain is a free consumer mailbox provider (gmail.com, yahoo.com …).",
        "Nothing wrong with it; B2B teams may segment on it.",
    ),
    Reason.DOMAIN_NOT_FOUND: (
        "The domain does not exist (DNS answered NXDOMAIN).",
        "Suppress; check the suggestion for a typo.",
    ),
    Reason.NULL_MX: (
        "The domain publishes a null MX (RFC 7505): it accepts no mail at all.",
        "Suppress.",
    ),
    Reason.NO_MAIL_SERVER: (
        "The domain has no MX record and no address to serve as an implicit MX, or none of "
        "its MX hosts exist.",
        "Suppress; check the suggestion for a typo.",
    ),
    Reason.UNSAFE_MX_ADDRESS: (
        "The domain's mail hosts point only at loopback, private, link-local or reserved "
        "addresses; the library refuses to connect there.",
        "Treat as unknown; a hostile or misconfigured domain. Never probe it from inside "
        "your network.",
    ),
    Reason.DNS_TIMEOUT: (
        "DNS did not answer in time.",
        "Re-check later; never suppress on a timeout.",
    ),
    Reason.DNS_ERROR: (
        "DNS failed (SERVFAIL, refused, or no nameserver reachable).",
        "Re-check later; never suppress on a DNS failure.",
    ),
    Reason.ACCEPTED: (
        "The mail server accepted the recipient (250 to RCPT TO).",
        "Send.",
    ),
    Reason.CATCH_ALL: (
        "The server also accepted an unguessable random recipient: it accepts anything, so "
        "this mailbox cannot be confirmed.",
        "Own segment: send at lower volume and watch its bounces.",
    ),
    Reason.MAILBOX_NOT_FOUND: (
        "The server said the mailbox does not exist (550 5.1.1 and the like).",
        "Suppress.",
    ),
    Reason.MAILBOX_DISABLED: (
        "The mailbox exists but is disabled or inactive (5.2.1).",
        "Suppress when permanent; re-check later when the reply was temporary.",
    ),
    Reason.MAILBOX_FULL: (
        "The mailbox is over its quota (4.2.2 / 5.2.2).",
        "Slow lane: an unread, full inbox is often abandoned; re-check later.",
    ),
    Reason.MAILBOX_NAME_INVALID: (
        "The server refused the mailbox name itself (553, 5.1.3).",
        "Suppress.",
    ),
    Reason.DOMAIN_NOT_SERVED: (
        "The server does not take mail for this domain (5.1.2 bad destination system).",
        "Suppress when permanent; the domain's MX may be stale.",
    ),
    Reason.GREYLISTED: (
        "The server deferred the probe on purpose (greylisting); it usually accepts a retry "
        "after a few minutes.",
        "Re-check after the retry-after hint.",
    ),
    Reason.TEMPORARY_FAILURE: (
        "The server reported a temporary failure (4xx) without saying more.",
        "Re-check later; never suppress on a 4xx.",
    ),
    Reason.TOO_MANY_RECIPIENTS: (
        "The server refused more recipients in this session (452 4.5.3).",
        "Re-check in a new session; says nothing about the mailbox.",
    ),
    Reason.RATE_LIMITED: (
        "The server is limiting how fast we may ask (421/450/451 with a rate message).",
        "Slow down and re-check later.",
    ),
    Reason.BLOCKED: (
        "The server refused us: our address or probe is blocked or blocklisted.",
        "Unknown about the mailbox; verify from another network or later.",
    ),
    Reason.POLICY_REJECTION: (
        "The server refused by policy (5.7.x: sender authentication, content, access rules).",
        "Unknown about the mailbox; do not suppress on this alone.",
    ),
    Reason.RELAY_DENIED: (
        "The server refused to relay for this domain.",
        "Unknown; the domain's MX may be misconfigured.",
    ),
    Reason.AUTHENTICATION_REQUIRED: (
        "The server requires authentication before accepting recipients (530).",
        "Unknown; the host is not a public inbound MX.",
    ),
    Reason.PROTOCOL_ERROR: (
        "The conversation broke down (500/501/503 syntax or sequence errors).",
        "Re-check later.",
    ),
    Reason.SMTPUTF8_UNSUPPORTED: (
        "The address needs SMTPUTF8 and the server does not offer it.",
        "Unknown: the mailbox may exist, but this server cannot take internationalised mail.",
    ),
    Reason.SMTP_TIMEOUT: (
        "A mail server did not answer in time.",
        "Re-check later; never suppress on a timeout.",
    ),
    Reason.CONNECTION_FAILED: (
        "No mail host of the domain could be reached.",
        "Re-check later; port 25 may be blocked where you run.",
    ),
    Reason.SERVER_MISBEHAVED: (
        "A mail server sent something no SMTP server should (oversized or endless replies, "
        "garbage).",
        "Re-check later.",
    ),
    Reason.PROVIDER_UNVERIFIABLE: (
        "The mailbox provider accepts every recipient at probe time or punishes probing "
        "(e.g. Yahoo), so no probe can confirm the mailbox.",
        "Keep with care; rely on engagement and bounces instead.",
    ),
    Reason.SMTP_UNCLASSIFIED: (
        "The server's reply fits no known meaning.",
        "Re-check later; see the transcript.",
    ),
    Reason.MESSAGE_TOO_LARGE: (
        "The server refused a message for its size (552 5.3.4 / 5.2.3); said of bounces, "
        "never of a probe.",
        "Send a smaller message; the address itself is fine.",
    ),
    Reason.SUPPRESSED: (
        "The suppression ledger holds this address (a hard bounce, repeated soft bounces, "
        "or a person marked as gone).",
        "Do not send; see the ledger entry for why and when.",
    ),
    Reason.MAILBOX_NOT_CHECKED: (
        "The address passed every check that ran, but no check confirmed the mailbox "
        "(offline verification, or SMTP turned off).",
        "Fine to accept in a form; verify with SMTP before a campaign.",
    ),
    Reason.CHECKER_ERROR: (
        "A checker raised an exception; its verdict is missing.",
        "Re-check later; report the error if it persists (see the check's detail).",
    ),
    Reason.DEADLINE_EXCEEDED: (
        "The overall time limit of the verification ran out before this check finished.",
        "Re-check later, or allow a longer timeout.",
    ),
    Reason.CHECK_FAILED: (
        "A custom checker failed the address without giving a reason code.",
        "See the check's detail.",
    ),
}

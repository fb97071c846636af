"""Reason codes: the stable, documented vocabulary of every verdict."""

from __future__ import annotations

from enum import Enum


class Reason(str, Enum):
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

    # -- overall --
    MAILBOX_NOT_CHECKED = "mailbox_not_checked"
    CHECKER_ERROR = "checker_error"
    CHECK_FAILED = "check_failed"
    DEADLINE_EXCEEDED = "deadline_exceeded"

    def __str__(self) -> str:
        return self.value


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

"""SMTP reply classification: what a mail server meant by a code, a status code and words.

``classify_reply(code, text, enhanced)`` is pure, never raises, and reads only the first
4096 characters of the text. The kind comes from the basic code's first digit alone (2
accepted, 3 intermediate, 4 transient, 5 permanent, anything else transient), so a 4xx
is never permanent whatever it says. The reason is the first of:

0. 2xx is accepted and 3xx a protocol error, whatever else the reply says;
1. the enhanced status code (RFC 3463), when it is specific enough to decide alone
   (``_ENHANCED_DECIDES``: 5.1.1, 5.2.2, 4.5.3, 5.7.26 …);
2. the basic code, when it is specific enough to decide alone (``_CODE_DECIDES``:
   500-504 and 555 syntax errors, 521/556 no mail at all);
3. the phrase table (``_PHRASES``), row by row, the first row with a matching phrase
   wins, wherever in the text it stands;
4. the enhanced code's own meaning when it is generic (``_ENHANCED_DEFAULTS``: x.7.1,
   x.2.1, x.1.10, x.5.0 … words may refine them; x.0.0 and x.1.0 say nothing);
5. the basic code (``_CODE_DEFAULTS``), then 4xx temporary failure, 5xx unclassified.

The enhanced code is the argument, else the ``X.Y.Z`` starting the text (RFC 2034), else
qmail's ``(#X.Y.Z)``; one whose class disagrees with the basic code is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ._enum import StrEnum
from ._reasons import Reason

SCAN_LIMIT = 4096  # characters of a reply's text that classification reads

# Greylisting that names no delay is usually over within five minutes.
DEFAULT_GREYLIST_DELAY = 300.0
_MAX_RETRY_AFTER = 86_400.0


class ReplyKind(StrEnum):
    """What the basic code's first digit says (RFC 5321 4.2.1)."""

    ACCEPTED = "accepted"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    INTERMEDIATE = "intermediate"


@dataclass(frozen=True, slots=True)
class ReplyMeaning:
    """One reply, classified."""

    reason: Reason
    kind: ReplyKind
    code: int
    enhanced: str | None  # the status code that was used, normalised ("5.1.1")
    text: str
    retry_after: float | None  # seconds; only for transient replies


@cache
def _regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compiled on first use: importing this module compiles nothing."""
    return re.compile(pattern, flags)


# RFC 3463 2: class 2/4/5, subject 0-7 (the defined ones), detail 0-999, no leading zeros.
_ENHANCED = r"([245])\.([0-7])\.(0|[1-9][0-9]{0,2})"
# RFC 2034 3: the code follows the basic code and one space; IronPort writes "#5.1.0".
_ENHANCED_AT_START = rf"\s*#?{_ENHANCED}(?=\s|$)"
_ENHANCED_QMAIL = rf"\(#{_ENHANCED}\)"


def parse_enhanced(text: str) -> str | None:
    """The enhanced status code a reply's text starts with, as ``"5.1.1"``, or None.

    Also finds qmail's ``(#5.1.1)`` anywhere in the text. Malformed codes give None.
    """
    head = text[:SCAN_LIMIT]
    match = _regex(_ENHANCED_AT_START).match(head) or _regex(_ENHANCED_QMAIL).search(head)
    return None if match is None else ".".join(match.groups())


# -- the enhanced status code (RFC 3463; "X" matches class 4 and 5) --------------------

# Specific enough that no wording changes their meaning.
_ENHANCED_DECIDES: dict[str, Reason] = {
    "X.1.1": Reason.MAILBOX_NOT_FOUND,
    "X.1.2": Reason.DOMAIN_NOT_SERVED,
    "X.1.3": Reason.MAILBOX_NAME_INVALID,
    "X.1.4": Reason.MAILBOX_NAME_INVALID,  # ambiguous: names several mailboxes
    "X.1.6": Reason.MAILBOX_NOT_FOUND,  # moved, no forwarding address
    "X.1.7": Reason.POLICY_REJECTION,  # our sender address, not the recipient
    "X.1.8": Reason.POLICY_REJECTION,
    "X.2.2": Reason.MAILBOX_FULL,
    "X.2.3": Reason.MESSAGE_TOO_LARGE,  # message length limit: no mailbox news
    "X.3.1": Reason.TEMPORARY_FAILURE,  # the system is full, not the mailbox
    "X.3.3": Reason.PROTOCOL_ERROR,
    "X.3.4": Reason.MESSAGE_TOO_LARGE,  # no mailbox news
    "X.4.2": Reason.CONNECTION_FAILED,
    "X.4.3": Reason.TEMPORARY_FAILURE,
    "4.4.4": Reason.TEMPORARY_FAILURE,
    "5.4.4": Reason.DOMAIN_NOT_SERVED,
    "X.4.5": Reason.TEMPORARY_FAILURE,
    "4.4.6": Reason.TEMPORARY_FAILURE,
    "5.4.6": Reason.DOMAIN_NOT_SERVED,  # routing loop: the domain's MX is broken
    "X.4.7": Reason.CONNECTION_FAILED,  # delivery time expired (bounces)
    "X.5.1": Reason.PROTOCOL_ERROR,
    "X.5.2": Reason.PROTOCOL_ERROR,
    "X.5.3": Reason.TOO_MANY_RECIPIENTS,
    "X.5.4": Reason.PROTOCOL_ERROR,
    "X.5.5": Reason.PROTOCOL_ERROR,
    "X.5.6": Reason.PROTOCOL_ERROR,
    "X.6.7": Reason.SMTPUTF8_UNSUPPORTED,  # RFC 6531 3.7.4 / RFC 6533
    "X.6.8": Reason.SMTPUTF8_UNSUPPORTED,
    "X.6.9": Reason.SMTPUTF8_UNSUPPORTED,
    # RFC 7293: the address was given to someone else, or the domain changed hands.
    "X.7.17": Reason.MAILBOX_NOT_FOUND,
    "X.7.18": Reason.DOMAIN_NOT_SERVED,
    "X.7.20": Reason.POLICY_REJECTION,  # RFC 7372: DKIM, SPF, reverse DNS
    "X.7.21": Reason.POLICY_REJECTION,
    "X.7.22": Reason.POLICY_REJECTION,
    "X.7.23": Reason.POLICY_REJECTION,
    "X.7.24": Reason.POLICY_REJECTION,
    "X.7.25": Reason.BLOCKED,  # our IP's reverse DNS
    "X.7.26": Reason.POLICY_REJECTION,
    "X.7.27": Reason.POLICY_REJECTION,  # RFC 7505: our sender domain has a null MX
    "X.7.28": Reason.RATE_LIMITED,  # mail flood
    "X.7.29": Reason.POLICY_REJECTION,  # ARC
}

# Generic or widely misused codes: the phrase table may refine them first. None: the
# code says nothing; the basic code decides.
_ENHANCED_DEFAULTS: dict[str, Reason | None] = {
    "X.0.*": None,
    "X.1.*": None,
    # RFC 7505 gives x.1.10 to null MX; Exchange sends 5.1.10 for "recipient not found".
    "X.1.10": Reason.DOMAIN_NOT_SERVED,
    "X.2.1": Reason.MAILBOX_DISABLED,  # Gmail sends 4.2.1 for per-mailbox rate limits
    "4.2.*": Reason.TEMPORARY_FAILURE,
    # RFC 3463: the mailbox exists but will not take this mail; permanently, so suppress.
    "5.2.*": Reason.MAILBOX_DISABLED,
    "4.3.*": Reason.TEMPORARY_FAILURE,
    "5.3.*": Reason.SMTP_UNCLASSIFIED,
    "X.4.1": Reason.CONNECTION_FAILED,  # Office 365 sends 5.4.1 for relay and unknown users
    "4.4.*": Reason.TEMPORARY_FAILURE,
    "5.4.*": Reason.SMTP_UNCLASSIFIED,
    "X.5.*": Reason.PROTOCOL_ERROR,  # Outlook.com: "5.5.0 … mailbox unavailable"
    "X.6.*": Reason.POLICY_REJECTION,
    "4.7.0": Reason.TEMPORARY_FAILURE,  # Gmail's and Yahoo's catch-all deferral
    # RFC 4954 6; Yahoo sends 5.7.9 for "not accepted for policy reasons".
    "X.7.8": Reason.AUTHENTICATION_REQUIRED,
    "X.7.9": Reason.AUTHENTICATION_REQUIRED,
    "X.7.11": Reason.AUTHENTICATION_REQUIRED,
    "X.7.12": Reason.AUTHENTICATION_REQUIRED,
    "X.7.*": Reason.POLICY_REJECTION,  # x.7.1 covers blocks, relay, spam and policy
}

_NO_RULE = (None, False)


def _enhanced_rule(enhanced: str) -> tuple[Reason | None, bool]:
    """(reason, decides alone) for a valid enhanced status code."""
    klass, subject, detail = enhanced.split(".")
    for key in (enhanced, f"X.{subject}.{detail}"):
        if key in _ENHANCED_DECIDES:
            return _ENHANCED_DECIDES[key], True
    for key in (enhanced, f"X.{subject}.{detail}", f"{klass}.{subject}.*", f"X.{subject}.*"):
        if key in _ENHANCED_DEFAULTS:
            return _ENHANCED_DEFAULTS[key], False
    return _NO_RULE


# -- the basic code (RFC 5321 4.2) --------------------------------------------------------

_CODE_DECIDES: dict[int, Reason] = {
    500: Reason.PROTOCOL_ERROR,
    501: Reason.PROTOCOL_ERROR,
    502: Reason.PROTOCOL_ERROR,
    503: Reason.PROTOCOL_ERROR,
    504: Reason.PROTOCOL_ERROR,
    521: Reason.DOMAIN_NOT_SERVED,  # RFC 7504: the host accepts no mail
    # RFC 4954: only ever answers to AUTH ("invalid user or password" is no mailbox news).
    534: Reason.AUTHENTICATION_REQUIRED,
    535: Reason.AUTHENTICATION_REQUIRED,
    538: Reason.AUTHENTICATION_REQUIRED,
    555: Reason.PROTOCOL_ERROR,
    556: Reason.DOMAIN_NOT_SERVED,  # RFC 7504: the domain accepts no mail
}

_CODE_DEFAULTS: dict[int, Reason] = {
    421: Reason.TEMPORARY_FAILURE,
    432: Reason.AUTHENTICATION_REQUIRED,  # RFC 4954: password transition needed
    450: Reason.TEMPORARY_FAILURE,
    451: Reason.TEMPORARY_FAILURE,
    452: Reason.TEMPORARY_FAILURE,
    454: Reason.TEMPORARY_FAILURE,
    530: Reason.AUTHENTICATION_REQUIRED,
    # RFC 5321's own 550 text is "mailbox unavailable": only a 550 with nothing else to
    # say is taken as "no such mailbox" (_BARE_550); other unread words are unclassified.
    550: Reason.SMTP_UNCLASSIFIED,
    551: Reason.MAILBOX_NOT_FOUND,  # user not local
    552: Reason.MAILBOX_FULL,
    553: Reason.MAILBOX_NAME_INVALID,
    # A 554 without telling words is, in practice, a refusal of us, not of the mailbox.
    554: Reason.POLICY_REJECTION,
}

_BARE_550 = Reason.MAILBOX_NOT_FOUND


def _says_nothing(text: str) -> bool:
    """True when the text holds no word besides a status code and addresses."""
    return not any(
        char.isalpha() for token in text.split() if "@" not in token for char in token
    )


# -- the phrase table -----------------------------------------------------------------------

_ANY_CODE = frozenset(range(400, 600))
_PERMANENT = frozenset(range(500, 600))
_NO_POLICY_CODE = frozenset({-1, 0, 1, 5})  # no enhanced code (-1), or x.0, x.1, x.5


class _Row:
    """Phrases that mean ``reason`` (for ``codes``, under enhanced ``subjects``).

    Matching ignores case and accents written in the phrase ("réputation" also matches
    "reputation"); a phrase must start a word but may end inside one ("greylist" matches
    "greylisted"); a space matches any run of spaces, "_" and "-", or nothing at all, so
    "rate limit" also matches "rate-limited" and "ratelimit".
    """

    __slots__ = ("codes", "phrases", "reason", "subjects")

    def __init__(
        self, reason: Reason, phrases: tuple[str, ...], codes: frozenset[int] = _ANY_CODE,
        subjects: frozenset[int] | None = None,
    ) -> None:
        self.reason, self.phrases, self.codes, self.subjects = reason, phrases, codes, subjects


# Order is priority: a block or a policy beats "user unknown" in the same reply, so
# that a refusal of us is never read as a verdict on the mailbox.
_PHRASES: tuple[_Row, ...] = (
    _Row(Reason.TOO_MANY_RECIPIENTS, (
        "too many recipients", "too many rcpt", "recipient limit", "recipients limit",
        "maximum number of recipients", "max recipients",
        "zu viele empfänger", "trop de destinataires", "demasiados destinatarios",
        "troppi destinatari", "destinatários demais", "muitos destinatários",
        "te veel ontvangers", "слишком много получателей", "zbyt wielu odbiorców",
    )),
    _Row(Reason.GREYLISTED, ("grey list", "gray list", "postgrey")),
    _Row(Reason.RATE_LIMITED, (
        "rate limit", "rate overlimit", "sending rate", "receiving mail at a rate",
        "too many connections", "too many concurrent", "too many messages", "too many mails",
        "too many emails", "too many sessions", "too many requests", "connection limit",
        "throttl", "mail flood", "unexpected volume", "server busy", "submission quota",
        "slow down", "sending too fast",
        "zu viele verbindungen", "zu viele nachrichten", "trop de connexions",
        "trop de messages", "demasiadas conexiones", "demasiados mensajes",
        "troppe connessioni", "troppi messaggi", "muitas conexões", "muitas mensagens",
        "te veel verbindingen", "te veel berichten", "слишком много соединений",
        "слишком много сообщений", "zbyt wiele połączeń", "zbyt wiele wiadomości",
    )),
    _Row(Reason.RELAY_DENIED, (
        "relay access", "relaying denied", "relay denied", "relay not permitted",
        "relaying not permitted", "relay not allowed", "relaying not allowed",
        "relaying disabled", "relay disabled", "relaying prohibited", "relay prohibited",
        "not permitted to relay", "not allowed to relay", "unable to relay", "cannot relay",
        "can't relay", "we do not relay", "no relaying", "allowed rcpthosts",
        "relaying verweigert", "relay verweigert", "relais refusé", "relayage refusé",
        "relais non autorisé", "relay denegado", "retransmisión denegada",
        "relay non consentito", "relay non permesso", "relay negado",
        "retransmissão negada", "relay geweigerd", "релей запрещен", "пересылка запрещена",
        "przekazywanie zabronione",
    )),
    _Row(Reason.POLICY_REJECTION, (
        "spf", "openspf", "sender policy framework", "dkim", "domainkeys", "dmarc",
    )),
    # "Account blocked" is the mailbox's state, not ours: ahead of the block list.
    _Row(Reason.MAILBOX_DISABLED, (
        "account has been disabled", "account is disabled", "account disabled",
        "mailbox has been disabled", "mailbox is disabled", "mailbox disabled",
        "user disabled", "account has been blocked", "account is blocked", "account blocked",
        "mailbox is blocked", "mailbox blocked", "account has been suspended",
        "account is suspended", "account suspended", "account is locked", "account locked",
        "account is inactive", "account inactive", "mailbox is inactive", "mailbox inactive",
        "account has been deactivated", "account is deactivated", "account deactivated",
        "account has expired", "account expired",
        "postfach gesperrt", "postfach ist gesperrt", "konto gesperrt", "konto deaktiviert",
        "postfach deaktiviert", "ящик заблокирован", "аккаунт заблокирован",
        "учётная запись заблокирована", "ящик отключен", "konto zablokowane",
        "skrzynka zablokowana", "konto wyłączone",
    )),
    _Row(Reason.BLOCKED, (
        "blocked", "block list", "deny list", "black list", "spamhaus", "spamcop",
        "barracuda", "sorbs", "cloudmark", "uceprotect", "abuseat", "dnsbl", "rbl",
        "listed at", "listed on", "listed by", "is listed", "are listed", "been listed",
        "was listed", "reputation", "banned", "client host rejected", "permanently deferred",
        "cannot find your hostname", "cannot find your reverse hostname", "reverse dns",
        "reverse hostname", "rdns", "ptr record", "no ptr", "dynamic ip", "dynamic address",
        "residential", "dial up", "user complaints", "not authorized to send email directly",
        "gesperrt", "blockiert", "schwarze liste", "bloqué", "liste noire", "réputation",
        "bloquead", "lista negra", "bloccat", "lista nera", "geblokkeerd", "zwarte lijst",
        "заблокирован", "чёрный список", "чёрном списке", "zablokowan", "czarna lista",
        "czarnej liście",
    )),
    _Row(Reason.AUTHENTICATION_REQUIRED, (
        "authentication required", "authentication is required", "authentication needed",
        "requires authentication", "auth required", "must authenticate",
        "need to authenticate", "please authenticate", "authenticate first",
        "not authenticated", "authentication failed", "authentication unsuccessful",
        "not logged in", "login required",
        "authentifizierung erforderlich", "anmeldung erforderlich",
        "authentification requise", "authentification obligatoire",
        "autenticación requerida", "requiere autenticación", "autenticazione richiesta",
        "autenticação necessária", "autenticação obrigatória", "authenticatie vereist",
        "требуется авторизация", "требуется аутентификация", "wymagane uwierzytelnienie",
    )),
    # About our MAIL FROM, HELO or connection, not the recipient.
    _Row(Reason.POLICY_REJECTION, (
        "sender address rejected", "sender rejected", "sender denied", "sender verify failed",
        "sender verification", "verification failed for", "sender not allowed",
        "sender is not allowed", "invalid sender", "bad sender", "sender unknown",
        "unknown sender", "helo command rejected", "helo rejected", "ehlo rejected",
        "invalid helo", "bad helo", "starttls", "tls required", "requires tls",
        "must use tls", "encryption required",
    )),
    _Row(Reason.MAILBOX_DISABLED, (
        "disabled", "inactiv", "suspended", "deactivated", "no longer active",
        "deaktiviert", "désactivé", "inactif", "suspendu", "desactivad", "suspendid",
        "disattivat", "disabilitat", "inattiv", "sospes", "desativad", "inativ", "suspens",
        "gedeactiveerd", "inactief", "opgeschort", "отключен", "неактивен", "деактивирован",
        "wyłączon", "nieaktywn", "zawieszon",
    )),
    _Row(Reason.TEMPORARY_FAILURE, (
        "system storage", "system resources", "system failure", "local problem",
        "local error", "internal error", "server error", "system error", "database error",
        "out of memory", "disk space", "temporarily unavailable",
    )),
    _Row(Reason.MESSAGE_TOO_LARGE, (
        "message size", "message too", "message is too", "message exceeds", "message length",
        "databytes", "nachricht zu groß", "message trop", "mensaje demasiado",
        "messaggio troppo", "mensagem muito", "bericht te groot", "сообщение слишком",
        "wiadomość jest za duża",
    )),
    _Row(Reason.MAILBOX_FULL, (
        "mailbox full", "mailbox is full", "mail box full", "mailbox has exceeded",
        "mailbox size limit", "mailbox quota", "full mailbox", "inbox full", "inbox is full",
        "over quota", "quota", "storage allocation", "exceeded storage", "out of storage",
        "insufficient storage", "not enough storage", "user is over",
        "postfach voll", "postfach ist voll", "speicherplatz", "speicher voll", "kontingent",
        "boîte pleine", "boîte aux lettres pleine", "boîte aux lettres est pleine",
        "boîte de réception pleine", "quota dépassé", "buzón lleno", "buzón está lleno",
        "buzón de correo lleno", "cuota", "casella piena", "casella di posta piena",
        "casella postale piena", "spazio esaurito", "caixa cheia", "caixa postal cheia",
        "caixa de correio cheia", "caixa de entrada cheia", "cota excedida", "mailbox vol",
        "mailbox is vol", "postvak vol", "quotum", "ящик переполнен", "переполнен", "квота",
        "skrzynka pełna", "skrzynka jest pełna", "przepełnion", "brak miejsca",
    )),
    _Row(Reason.DOMAIN_NOT_SERVED, (
        "domain not found", "domain does not exist", "domain doesn't exist", "no such domain",
        "unknown domain", "domain unknown", "domain not served", "domain is not served",
        "do not serve", "domain not hosted", "not hosted here", "not a local domain",
        "host unknown", "host not found", "does not accept mail", "null mx", "no mx",
        "unroutable domain", "unrouteable domain",
        "domain existiert nicht", "unbekannte domain", "domäne unbekannt", "domaine inconnu",
        "domaine inexistant", "domaine introuvable", "dominio desconocido",
        "dominio inexistente", "dominio no existe", "dominio sconosciuto",
        "dominio inesistente", "domínio desconhecido", "domínio inexistente",
        "domínio não existe", "domein bestaat niet", "onbekend domein", "домен не найден",
        "домен не существует", "неизвестный домен", "domena nie istnieje", "nieznana domena",
    )),
    _Row(Reason.MAILBOX_NAME_INVALID, (
        "mailbox name not allowed", "mailbox name invalid", "invalid mailbox name",
        "address syntax", "invalid address format", "malformed address", "not a valid rfc",
    )),
    _Row(Reason.MAILBOX_NOT_FOUND, (
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient",
        "no such account", "no such address", "no such person", "does not exist",
        "doesn't exist", "no longer exist", "mailbox not found", "user not found",
        "recipient not found", "recipnotfound", "address not found", "account not found",
        "invalid recipient", "invalid mailbox", "invalid user", "invalid address",
        "invalid e mail address", "unknown recipient", "recipient unknown", "unknown address",
        "address unknown", "unknown mailbox", "mailbox unknown", "unknown local part",
        "addressee unknown", "not a valid mailbox", "not a valid recipient",
        "not a valid user", "no mailbox", "user doesn't have a", "user does not have a",
        "does not have an account", "doesn't have an account", "unrouteable address",
        "unroutable address", "user not listed", "validrcptto", "bad destination mailbox",
        # Office 365 directory-based edge blocking: the recipient is not in the directory.
        "as(201806281)",
        "benutzer unbekannt", "unbekannter benutzer", "unbekannter empfänger",
        "empfänger unbekannt", "unbekannte adresse", "adresse unbekannt", "existiert nicht",
        "ungültiger empfänger", "ungültige adresse", "kein postfach",
        "postfach nicht gefunden", "empfänger nicht gefunden", "benutzer nicht gefunden",
        "utilisateur inconnu", "destinataire inconnu", "adresse inconnue", "compte inconnu",
        "n'existe pas", "inexistant", "destinataire invalide", "adresse invalide",
        "introuvable", "usuario desconocido", "destinatario desconocido",
        "dirección desconocida", "no existe", "inexistente", "usuario no encontrado",
        "destinatario no válido", "dirección no válida", "buzón no encontrado",
        "utente sconosciuto", "destinatario sconosciuto", "indirizzo sconosciuto",
        "non esiste", "inesistente", "utente non trovato", "destinatario non valido",
        "indirizzo non valido", "casella non trovata", "usuário desconhecido",
        "utilizador desconhecido", "destinatário desconhecido", "endereço desconhecido",
        "não existe", "usuário não encontrado", "destinatário inválido", "endereço inválido",
        "onbekende gebruiker", "gebruiker onbekend", "onbekende ontvanger",
        "ontvanger onbekend", "onbekend adres", "bestaat niet", "gebruiker niet gevonden",
        "ongeldige ontvanger", "ongeldig adres", "пользователь не найден",
        "нет такого пользователя", "неизвестный пользователь", "пользователь неизвестен",
        "не существует", "ящик не найден", "адрес не найден", "получатель не найден",
        "несуществующ", "nie istnieje", "nieznany użytkownik", "użytkownik nieznany",
        "nieznany odbiorca", "nieznany adres", "brak użytkownika", "brak skrzynki",
        "nie znaleziono użytkownika", "nie znaleziono odbiorcy",
    )),
    _Row(Reason.POLICY_REJECTION, (
        "policy", "policies", "spam", "content", "virus", "malware", "phishing",
        "not authorized", "not authorised", "unauthorized", "unauthorised", "access denied",
        "administrative prohibition", "prohibited", "forbidden", "not allowed",
        "not permitted", "denied", "refused", "rejected by", "suspicious", "junk",
        "richtlinie", "nicht erlaubt", "verweigert", "abgelehnt", "politique", "refusé",
        "interdit", "non autorisé", "política", "denegado", "no autorizado", "prohibido",
        "rechazad", "rifiutat", "non autorizzato", "vietato", "recusad", "não autorizado",
        "proibido", "beleid", "geweigerd", "niet toegestaan", "спам", "политик",
        "запрещен", "отклонен", "polityk", "odrzucon", "zabronion",
    )),
    # RFC 5321's own 550 wording and Postfix's "Recipient address rejected" prefix: read
    # as "no such mailbox" only when nothing above matched and no x.7 code says policy.
    _Row(Reason.MAILBOX_NOT_FOUND, (
        "mailbox unavailable", "mailbox is unavailable", "mailbox not available",
        "recipient address rejected", "address rejected", "recipient rejected",
        "rejected recipient",
    ), codes=_PERMANENT, subjects=_NO_POLICY_CODE),
    # Greylisting servers seldom say so: a bare "try later" on 450/451 is the classic one.
    _Row(Reason.GREYLISTED, (
        "try again later", "try later", "retry later", "please retry", "come back later",
        "try again in", "retry in", "come back in", "temporarily rejected",
        "später erneut", "später noch einmal", "plus tard", "más tarde", "più tardi",
        "mais tarde", "probeer het later", "later opnieuw", "позже", "później",
    ), codes=frozenset({450, 451})),
)


def _phrase_pattern(phrase: str) -> str:
    import unicodedata

    parts = []
    for char in phrase:
        if char == " ":
            parts.append(r"[\s_-]*")
        elif char == "'":
            parts.append("['’`]")
        else:
            base = unicodedata.normalize("NFKD", char)[0]
            parts.append(f"[{base}{char}]" if base != char else re.escape(char))
    return "".join(parts)


def _row_pattern(phrases: tuple[str, ...]) -> str:
    # Alternatives grouped under a literal first character let the regex engine skip
    # every position that starts no phrase (its charset prefix scan).
    import unicodedata

    groups: dict[str, list[str]] = {}
    for phrase in (phrase.lower() for phrase in phrases):
        first, rest = phrase[0], _phrase_pattern(phrase[1:])
        for variant in {first, unicodedata.normalize("NFKD", first)[0]}:
            groups.setdefault(variant, []).append(rest)
    return "|".join(
        f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in sorted(groups.items())
    )


@cache
def _compiled_rows() -> tuple[tuple[_Row, re.Pattern[str]], ...]:
    # Patterns are lower case and run over lower-cased text: case-insensitive matching
    # would cost the engine its first-character scan.
    return tuple((row, re.compile(_row_pattern(row.phrases))) for row in _PHRASES)


def _starts_a_word(pattern: re.Pattern[str], text: str) -> bool:
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            return True
        position = start + 1
    return False


# RFC 2034 3: every line of a multiline reply repeats the code; phrases span lines.
_LINE_CODES = r"(?m)^[ \t]*#?[245]\.[0-9]{1,3}\.[0-9]{1,3}[ \t]+"


def _reason_by_phrase(code: int, subject: int, text: str) -> Reason | None:
    lowered = _regex(_LINE_CODES).sub("", text.lower())
    for row, pattern in _compiled_rows():
        if code not in row.codes or (row.subjects is not None and subject not in row.subjects):
            continue
        if _starts_a_word(pattern, lowered):
            return row.reason
    return None


# -- retry hints ----------------------------------------------------------------------------

_SECONDS_PER_UNIT: dict[str, float] = {
    **dict.fromkeys(
        ("s", "sec", "secs", "second", "seconds", "sekunde", "sekunden", "seconde",
         "secondes", "segundo", "segundos", "secondo", "secondi", "seconden", "секунд",
         "секунду", "секунды", "sekund", "sekundy", "sekundę"),
        1.0,
    ),
    **dict.fromkeys(
        ("m", "min", "mins", "minute", "minutes", "minuten", "minuto", "minutos", "minuti",
         "minuut", "минут", "минуту", "минуты", "minut", "minuty", "minutę"),
        60.0,
    ),
    **dict.fromkeys(
        ("h", "hr", "hrs", "hour", "hours", "stunde", "stunden", "heure", "heures", "hora",
         "horas", "ora", "ore", "uur", "час", "часа", "часов", "godzin", "godzinę", "godziny"),
        3600.0,
    ),
}
_RETRY_HINT = (
    r"(?<!\w)(?:in|after|for|within|nach|dans|après|en|tras|tra|fra|dopo|em|após|over"
    r"|через|после|za)\s+"
    r"(?:(\d{1,2}):(\d{2}):(\d{2})|(\d{1,7}(?:[.,]\d{1,3})?)\s*([^\W\d_]+))"
)


def _retry_hint(text: str) -> float | None:
    """Seconds named by "try again in 5 minutes", "retry after 60s", "in 00:05:00" …"""
    for match in _regex(_RETRY_HINT, re.IGNORECASE).finditer(text):
        hours, minutes, seconds, amount, unit = match.groups()
        if hours is not None:
            delay = int(hours) * 3600.0 + int(minutes) * 60.0 + int(seconds)
        else:
            per_unit = _SECONDS_PER_UNIT.get(unit.lower())
            if per_unit is None:
                continue
            delay = float(amount.replace(",", ".")) * per_unit
        return min(delay, _MAX_RETRY_AFTER)
    return None


# -- classification -------------------------------------------------------------------------

_KIND_BY_CLASS = {
    2: ReplyKind.ACCEPTED,
    3: ReplyKind.INTERMEDIATE,
    4: ReplyKind.TRANSIENT,
    5: ReplyKind.PERMANENT,
}


def _valid_enhanced(candidate: str | None, klass: int) -> str | None:
    if not candidate:
        return None
    found = parse_enhanced(candidate)
    return found if found is not None and int(found[0]) == klass else None


def _failure_reason(code: int, enhanced: str | None, text: str) -> Reason:
    """The reason of a 4xx or 5xx reply, by the precedence in the module docstring."""
    rule_reason, decides = _enhanced_rule(enhanced) if enhanced else _NO_RULE
    if decides and rule_reason is not None:
        return rule_reason
    if code in _CODE_DECIDES:
        return _CODE_DECIDES[code]
    subject = int(enhanced.split(".")[1]) if enhanced else -1
    by_phrase = _reason_by_phrase(code, subject, text)
    if by_phrase is not None:
        return by_phrase
    if rule_reason is not None:
        return rule_reason
    if code == 550 and _says_nothing(text):
        return _BARE_550
    if code in _CODE_DEFAULTS:
        return _CODE_DEFAULTS[code]
    # RFC 5321 4.2.1: a first digit 4 is a transient failure, whatever the other two say.
    return Reason.TEMPORARY_FAILURE if code < 500 else Reason.SMTP_UNCLASSIFIED


def classify_reply(code: int, text: str, enhanced: str | None = None) -> ReplyMeaning:
    """What a mail server meant by ``code`` and ``text``; never raises.

    Args:
        code: the three-digit reply code (any int is accepted).
        text: the reply text, lines joined with "\\n", code prefixes removed.
        enhanced: an RFC 3463 status code known from elsewhere (a DSN's Status field);
            when absent or invalid, the one in the text is used.

    Returns:
        The reason, the kind (from the code's first digit), the enhanced code used, and
        for a transient reply the seconds to wait when the text says (greylisting: 300
        when it does not).
    """
    text = text if isinstance(text, str) else str(text)
    head = text[:SCAN_LIMIT]
    klass = code // 100 if 100 <= code <= 599 else 0
    kind = _KIND_BY_CLASS.get(klass, ReplyKind.TRANSIENT)
    used = (_valid_enhanced(enhanced, klass) or _valid_enhanced(head, klass)) if klass else None
    if klass == 2:
        reason = Reason.ACCEPTED
    elif klass == 3:
        reason = Reason.PROTOCOL_ERROR
    elif klass in (4, 5):
        reason = _failure_reason(code, used, head)
    else:
        reason = Reason.SMTP_UNCLASSIFIED
    retry_after = None
    if klass == 4:
        retry_after = _retry_hint(head)
        if retry_after is None and reason is Reason.GREYLISTED:
            retry_after = DEFAULT_GREYLIST_DELAY
    return ReplyMeaning(reason, kind, code, used, text, retry_after)

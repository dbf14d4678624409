"""E-mail addresses: which we accept, and when two spellings are the same mailbox.

Accepted: a bare address (no display name, no quoted local part, no IP-literal domain), an ASCII
local part of at most 64 characters (RFC 5321; mail systems such as Amazon SES cannot deliver to
non-ASCII local parts, and Django/pretix refuse them too), a domain that may be internationalised
(stored in Unicode, compared in its IDNA ASCII form), 254 characters in all.
"""

from __future__ import annotations

# email_validator is imported where an address is checked: its import compiles its regular
# expressions (about 20 ms of a cold start), and staff and the change stream never check one.
MAX_ADDRESS_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64


class InvalidAddress(ValueError):
    pass


def canonical_address(text: str) -> str:
    """The address as we store it (domain lower-cased), or ``InvalidAddress``."""
    if len(text) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress("address too long")
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415 - see above

    try:
        info = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_display_name=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError as error:
        raise InvalidAddress(str(error)) from error
    if len(info.local_part) > MAX_LOCAL_PART_LENGTH:
        raise InvalidAddress("local part longer than 64 characters")
    return str(info.normalized)


def mailbox_key(address: str) -> str:
    """One key per mailbox, as mail systems route: domains are case-insensitive (compared in
    IDNA ASCII form) and providers treat the local part case-insensitively. Lower-casing, not
    ``casefold``: ``ß`` and ``ss`` are different letters, and ``straße.de`` is not ``strasse.de``.
    """
    from email_validator import EmailNotValidError, validate_email  # noqa: PLC0415 - see above

    try:
        info = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return address.strip().lower()  # not from our form (validated there); still stable
    return f"{info.local_part.lower()}@{info.ascii_domain.lower()}"

"""Masking personal data: what the pages, the API, the exports and the audit log show of it."""

from collections.abc import Callable

MASK = "****"


def mask_phone(phone: str | None) -> str:
    """138****1234: enough to recognise a number, not enough to call it."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_address(address: str | None) -> str:
    """阳光苑3号****: the estate, not the door. Never more than half the address shows."""
    if not address:
        return ""
    text = address.strip()
    keep = min(6, len(text) // 2)
    return f"{text[:keep]}****"


def mask_id_number(number: str | None) -> str:
    """**************1234: the last four, as on a bank's screen; never the birth date."""
    if not number:
        return ""
    text = number.strip()
    return "*" * max(len(text) - 4, 4) + text[-4:] if len(text) > 8 else "*" * len(text)


def mask_email(email: str | None) -> str:
    """l****@example.com: the first letter and the domain."""
    if not email:
        return ""
    local, _, domain = email.strip().partition("@")
    return f"{local[:1]}{MASK}@{domain}" if domain else MASK


def redact(value: str | None) -> str:
    """Notes about health and the like: only that there is one."""
    return MASK if value else ""


def personal_mask(column: str) -> Callable[[str | None], str] | None:
    """How to mask a column by its name, or None when the name says nothing personal.

    By name, so that a column added later (``emergency_phone``, ``home_address``) is masked
    without anyone remembering to; a public address (a community's) is exempted by its caller.
    """
    name = column.lower()
    if "phone" in name or "mobile" in name:
        return mask_phone
    if "address" in name:
        return mask_address
    if "id_number" in name or "id_card" in name or "identity" in name:
        return mask_id_number
    if "email" in name:
        return mask_email
    if "openid" in name:
        return redact
    if "health" in name or "medical" in name:
        return redact
    return None

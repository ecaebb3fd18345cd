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

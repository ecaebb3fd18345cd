def mask_phone(phone: str | None) -> str:
    """138****1234: enough to recognise a number, not enough to call it."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"

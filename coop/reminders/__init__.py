"""Reminders from the clock: what is coming up, told once each, never at night."""

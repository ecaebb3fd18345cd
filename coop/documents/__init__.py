"""Printable documents (A4 PDF) made from the app's Jinja templates."""

"""flask-babel's translations, found once per request.

A page asks for hundreds of words (its labels, each enum's ``label``, the menu); flask-babel 4
finds the request's translations again for each of them, through nine context-proxy lookups
(about 20 µs: 8 ms of the hours page's Python). Here the domain keeps them in the slot
flask-babel itself reserves for them on its per-request namespace (``babel_translations``,
emptied by ``force_locale`` and ``refresh``), so every word after the first costs one lookup.
"""

from flask import Flask, g
from flask_babel import Domain

from coop.extensions import babel


class RequestDomain(Domain):
    def get_translations(self):
        try:
            found = g._flask_babel.babel_translations
        except (AttributeError, RuntimeError):  # not yet looked up; no app context
            found = None
        if found is None:
            found = super().get_translations()
            namespace = g.get("_flask_babel") if g else None
            if namespace is not None:
                namespace.babel_translations = found
        return found


def init_app(app: Flask) -> None:
    """After ``babel.init_app``: the domain above, and the templates' ``_`` reading it."""
    domain = RequestDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
    babel.domain_instance = domain  # flask-babel's cached_property, set once per process
    translations = domain.get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

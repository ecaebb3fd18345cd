"""The certificate's PDF, drawn from its snapshot through coop.documents.pdf."""

import segno
from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup

from coop.certificates.models import Certificate
from coop.documents.pdf import render_pdf
from coop.hours.models import hours_text


def check_url(certificate: Certificate) -> str:
    return url_for("certificates.check", code=certificate.code, _external=True)


def certificate_pdf(certificate: Certificate) -> bytes:
    link = check_url(certificate)
    qr = segno.make(link, "m", micro=False).svg_inline(scale=3, title=_("证明查验二维码"))
    return render_pdf(
        "certificates/certificate.html",
        certificate=certificate,
        s=certificate.snapshot,
        check_url=link,
        qr=Markup(qr),
        ht=hours_text,
    )


def filename(certificate: Certificate) -> str:
    return f"{certificate.number}.pdf"

"""Printable A4 documents (sign-in sheets, the project list's 公示, the monthly 台账, the term's
六个一 report), all made by ``coop.documents.pdf.render_pdf`` from the same queries as the pages."""

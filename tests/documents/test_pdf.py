"""The PDF foundation: Chinese comes back out of the PDF as text, on A4."""

import io

from pypdf import PdfReader

from coop.documents.pdf import render_pdf


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_chinese_document_renders_as_text_not_boxes(app):
    with app.test_request_context():
        pdf = render_pdf("documents/font_check.html", name="张小燕", total="12.5")
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "志愿服务记录证明" in text
    assert "张小燕" in text
    assert "12.5" in text


def test_print_css_reaches_the_pdf_a4_with_page_numbers(app):
    with app.test_request_context():
        pdf = render_pdf("documents/font_check.html", name="李", total="1")
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    # A4 is 210 x 297 mm = 595.28 x 841.89 pt
    assert round(float(box.width)) == 595
    assert round(float(box.height)) == 842
    assert "1 / 1" in _text(pdf)  # print.css's @bottom-center page counter


def test_nothing_outside_static_is_fetched(tmp_path):
    from weasyprint.urls import URLFetchingError

    from coop.documents.pdf import static_file

    secret = tmp_path / "secret.css"
    secret.write_text("body{}")
    assert static_file("file:///static/print.css").name == "print.css"
    for url in (secret.as_uri(), "http://example.com/x.css", "file:///static/../config.py"):
        try:
            static_file(url)
        except URLFetchingError:
            continue
        raise AssertionError(f"fetched {url}")

"""The certificate's named refusals (mapped to 4xx by coop.errors)."""

from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class PdfFailed(Conflict):
    """Its PDF could not be made (the queue tried and gave up); staff or she may make it again."""

    code = "pdf_failed"
    default_message = _l("证明PDF生成失败，请点“重新生成”再试；如仍失败，请联系管理员。")


class PdfMissing(Conflict):
    """Issued before PDFs were kept: none has been made yet."""

    code = "pdf_missing"
    default_message = _l("这份证明的PDF还没有生成，请先点“生成PDF”。")


class PdfAlreadyMade(Conflict):
    code = "pdf_already_made"
    default_message = _l("这份证明的PDF已经生成，可以直接下载。")

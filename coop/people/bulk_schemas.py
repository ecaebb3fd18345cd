"""People in bulk: printing invitations, and the import job as the API answers it."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields

from coop.importing import ImportStatus
from coop.schemas import Id, LocalDateTime


class InvitationsIn(ma.Schema):
    """Whom to print invitations for: exactly one of these people, the people an import
    created, or everyone of the community who has not set a password yet."""

    user_ids = fields.List(Id(), validate=ma.validate.Length(min=1, max=1000))
    import_id = Id()
    without_password = fields.Boolean(
        metadata={"description": "true: everyone of the community who has no password yet"}
    )

    @ma.validates_schema
    def _one_choice(self, data, **kwargs):
        chosen = [k for k in ("user_ids", "import_id") if data.get(k)]
        if data.get("without_password"):
            chosen.append("without_password")
        if len(chosen) != 1:
            raise ma.ValidationError("请勾选要打印邀请单的人。", "user_ids")


class InvitationOut(ma.Schema):
    user_id = fields.Function(lambda a: a.person.id)
    username = fields.Function(lambda a: a.person.username)
    display_name = fields.Function(lambda a: a.person.display_name)
    code = fields.String(metadata={"description": "One-time code (ABCD-EFGH), given only here"})


class InvitationsOut(ma.Schema):
    items = fields.List(fields.Nested(InvitationOut), attribute="sheets")
    skipped = fields.Function(
        lambda printed: [p.id for p in printed.skipped],
        metadata={"description": "Ids of those asked for who have set their own password"},
    )


class ImportUploadIn(ma.Schema):
    """multipart/form-data: the workbook in the field ``file``."""

    file = Upload(
        required=True,
        metadata={"description": "The filled-in template (.xlsx), at most 5 MB and 5,000 rows"},
    )


class RowErrorOut(ma.Schema):
    sheet = fields.String()
    row = fields.Integer(metadata={"description": "The row's number as Excel shows it"})
    errors = fields.List(fields.String())


class ImportCountsOut(ma.Schema):
    people_new = fields.Integer()
    people_existing = fields.Integer(metadata={"description": "matched by phone"})
    people_given_roles = fields.Integer(
        metadata={"description": "of those, people who got a role or profile they lacked"}
    )
    units_new = fields.Integer()
    units_linked = fields.Integer(metadata={"description": "units already there, now serving"})
    units_existing = fields.Integer(metadata={"description": "already in the alliance"})


class PeopleImportOut(ma.Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    filename = fields.String()
    status = fields.Enum(ImportStatus, by_value=True)
    total_rows = fields.Integer()
    processed_rows = fields.Integer()
    error_rows = fields.List(fields.Nested(RowErrorOut))
    counts = fields.Nested(ImportCountsOut)
    created_user_ids = fields.List(fields.Integer())
    message = fields.String(metadata={"description": "Why the job failed as a whole"})
    created_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)

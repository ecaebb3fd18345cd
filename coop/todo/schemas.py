import marshmallow as ma


class TodoEntryOut(ma.Schema):
    text = ma.fields.String()
    link = ma.fields.String(metadata={"description": "Site path where this thing is done"})
    action = ma.fields.String(metadata={"description": "A button's label (去签到), or empty"})
    action_link = ma.fields.String()


class TodoItemOut(ma.Schema):
    role = ma.fields.String(metadata={"description": "The role it waits in: secretary, …"})
    kind = ma.fields.String(metadata={"description": "needs_to_review, orders_to_answer, …"})
    title = ma.fields.String(metadata={"description": "A short line: 3 条需求待审核"})
    count = ma.fields.Integer()
    link = ma.fields.String(metadata={"description": "Site path of the page where it is done"})
    entries = ma.fields.List(
        ma.fields.Nested(TodoEntryOut), metadata={"description": "The first few (at most 5)"}
    )

from flask.views import MethodView

from coop.apidoc import PageArgs, documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.todo import service
from coop.todo.schemas import TodoItemOut

blp = signed_in_blueprint("todo_api", __name__, "待办 · to-do")


@blp.route("/todo")
class Todo(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(TodoItemOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """What waits for the caller, one item per kind and role she holds (a kind with
        nothing waiting is left out), each with how many, a short line, the page where it is
        done, and the first few things by name. Computed from live data: a thing done is
        gone from the next answer."""
        items = service.items_of(service.todo_for(require_actor(), utcnow()))
        start = (args["page"] - 1) * args["per_page"]
        return {
            "items": items[start : start + args["per_page"]],
            "total": len(items),
            "page": args["page"],
            "per_page": args["per_page"],
        }

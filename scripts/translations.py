"""Keep the English catalog in step with the code.

    .venv/bin/python scripts/translations.py          extract, merge into messages.po, compile .mo
    .venv/bin/python scripts/translations.py --check  change nothing; exit 1 when a msgid is
                                                      missing, untranslated or fuzzy, or the .mo
                                                      is out of date with the .po

The msgids are the Chinese strings in coop/**.py and coop/templates/**.html (see babel.cfg).
Besides what gettext/_/_l/lazy_gettext mark, the catalog also holds the marshmallow messages that
coop/errors.py passes through gettext at response time: ``error="…"`` and ``error_messages={…}``
arguments, the first argument of ``ValidationError``, ``(_)default_error_messages`` dicts, and the
concrete messages of ``coop.schemas.length(...)`` calls whose arguments are literals.

Merging follows ``pybabel update --no-fuzzy-matching --ignore-obsolete``: existing translations
are kept, new msgids are added untranslated and msgids no longer in the code are dropped.
"""

import argparse
import ast
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coop"
MAPPING = ROOT / "babel.cfg"
LOCALE = "en"
PO = PACKAGE / "translations" / LOCALE / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
REFRESH = ".venv/bin/python scripts/translations.py"
HEADER = f"""\
# English catalog of Coop 共建联盟服务平台; the msgids are the Chinese UI strings.
# Refresh after changing strings: {REFRESH}
# then fill in every empty msgstr (keep %(name)s placeholders) and run it again."""

KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
ERROR_DICTS = {"default_error_messages", "_default_error_messages"}
LENGTH_HELPER = "schemas.py"  # in PACKAGE: length(*, min, max), an f-string message

Found = tuple[str, int, str]  # (file, e.g. coop/schemas.py; line; message)


# --- extraction -------------------------------------------------------------------------------


def _directory_filter(dirpath: str) -> bool:
    # babel's default also skips names starting with "_", which would lose templates/_macros.
    name = Path(dirpath).name
    return not (name.startswith(".") or name == "__pycache__")


def _strings(node: ast.AST | None) -> Iterator[ast.Constant]:
    """String constants in a literal: a string, or lists / tuples / dict values of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            yield from _strings(element)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _strings(value)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _length_messages(
    helper_file: Path, tree: ast.Module, calls: list[tuple[str, ast.Call]]
) -> Iterator[Found]:
    """The message each literal ``length(min=…, max=…)`` call produces. length() builds it with
    an f-string, so only the concrete text can be looked up; run the helper's own code with a
    stand-in for marshmallow's Length that hands back its ``error``."""
    helper = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "length"), None
    )
    if helper is None:
        return
    namespace: dict = {"validate": SimpleNamespace(Length=lambda **kwargs: kwargs.get("error"))}
    try:
        module = ast.Module(body=[helper], type_ignores=[])
        exec(compile(module, str(helper_file), "exec"), namespace)
    except Exception as exc:  # the helper changed shape; its messages simply go unlisted
        print(f"warning: cannot evaluate length() in {helper_file}: {exc}", file=sys.stderr)
        return
    for filename, call in calls:
        try:
            args = [ast.literal_eval(a) for a in call.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
            message = namespace["length"](*args, **kwargs)
        except Exception:  # non-literal arguments: the message is not knowable here
            continue
        if isinstance(message, str) and message:
            yield filename, call.lineno, message


def marshmallow_messages(package: Path = PACKAGE) -> list[Found]:
    """Validation messages that are plain strings in the code and translated by errors.py."""
    found: list[Found] = []
    length_calls: list[tuple[str, ast.Call]] = []
    helper_file = package / LENGTH_HELPER
    helper_tree = None
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        filename = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=filename)
        if path == helper_file:
            helper_tree = tree
        for node in ast.walk(tree):
            literals: list[ast.AST | None] = []
            if isinstance(node, ast.Call):
                literals += [k.value for k in node.keywords if k.arg in ("error", "error_messages")]
                if _name(node.func) == "ValidationError" and node.args:
                    literals.append(node.args[0])
                if _name(node.func) == "length":
                    length_calls.append((filename, node))
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_name(t) in ERROR_DICTS for t in targets):
                    literals.append(node.value)
            found += [(filename, c.lineno, c.value) for lit in literals for c in _strings(lit)]
    if helper_tree is not None:
        found += _length_messages(helper_file, helper_tree, length_calls)
    return sorted(found)


def extract() -> Catalog:
    """The template catalog (what a .pot would hold) for the current tree."""
    with MAPPING.open() as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(MAPPING))
    template = Catalog(project="Coop", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
        directory_filter=_directory_filter,
    ):
        location = (Path(filename).as_posix(), lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    for filename, lineno, message in marshmallow_messages():
        template.add(message, None, [(filename, lineno)])
    return template


# --- catalogs on disk -------------------------------------------------------------------------


def read_catalog() -> Catalog | None:
    if not PO.exists():
        return None
    with PO.open("rb") as fileobj:
        return read_po(fileobj, locale=LOCALE)


def merge(template: Catalog, catalog: Catalog | None) -> Catalog:
    if catalog is None:
        catalog = Catalog(
            locale=LOCALE,
            header_comment=HEADER,
            project="Coop",
            language_team="English",
            fuzzy=False,
        )
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, include_lineno=False, ignore_obsolete=True)
    return buffer.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _hashable(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def mo_messages(data: bytes) -> dict:
    """{(context, msgid): msgstr} of a compiled catalog, header left out."""
    compiled = read_mo(io.BytesIO(data))
    return {(m.context, _hashable(m.id)): _hashable(m.string) for m in compiled if m.id}


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, list | tuple) else [message.string]
    return all(strings)


# --- the two entry points ---------------------------------------------------------------------


def problems() -> list[str]:
    """What --check reports; empty when the catalog is complete and compiled."""
    template = extract()
    catalog = read_catalog()
    if catalog is None:
        return [f"{_shown(PO)} does not exist"]
    found = []
    if catalog.fuzzy:
        found.append("the catalog header is marked fuzzy")
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            found.append(f"missing from the .po: {message.id!r}")
        elif not is_translated(entry):
            found.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
    for message, errors in catalog.check():
        found += [f"bad translation of {message.id!r}: {error}" for error in errors]
    if not MO.exists():
        found.append(f"{_shown(MO)} does not exist")
    elif mo_messages(MO.read_bytes()) != mo_messages(mo_bytes(catalog)):
        found.append(f"{_shown(MO)} is out of date with the .po")
    return found


def obsolete() -> list[str]:
    """msgids the .po still has that the code no longer uses (dropped by the next refresh)."""
    catalog = read_catalog()
    if catalog is None:
        return []
    template = extract()
    return [m.id for m in catalog if m.id and template.get(m.id, context=m.context) is None]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _write(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


def refresh() -> list[str]:
    """Extract, merge into the .po, compile the .mo; returns the msgids still untranslated."""
    template = extract()
    old = read_catalog()
    before = {m.id for m in old if m.id} if old is not None else set()
    catalog = merge(template, old)
    after = {m.id for m in catalog if m.id}
    changed = _write(PO, po_bytes(catalog))
    catalog = read_catalog()  # compile what the .po on disk says
    assert catalog is not None
    compiled = _write(MO, mo_bytes(catalog))
    untranslated = [m.id for m in catalog if m.id and (not is_translated(m) or m.fuzzy)]
    print(
        f"{_shown(PO)}: {len(after)} msgids, {len(after - before)} added, "
        f"{len(before - after)} dropped, {len(untranslated)} untranslated or fuzzy"
        f"{'' if changed else ' (unchanged)'}; .mo {'compiled' if compiled else 'unchanged'}"
    )
    return untranslated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for msgid in obsolete():
            print(f"note: obsolete in the .po: {msgid!r}", file=sys.stderr)
        if found:
            print("\n".join(found), file=sys.stderr)
            print(
                f"refresh with `{REFRESH}`, translate in {_shown(PO)}, run it again",
                file=sys.stderr,
            )
            return 1
        print(f"{_shown(PO)}: complete, .mo up to date")
        return 0
    untranslated = refresh()
    for msgid in untranslated:
        print(f"  needs translating: {msgid!r}")
    if untranslated:
        print(f"translate them in {_shown(PO)} (msgstr, no fuzzy flag), run it again")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The English catalog: every msgid in the code is translated and the .mo is compiled from the .po.

When the first test fails after adding or changing a Chinese string, run
``.venv/bin/python scripts/translations.py``, fill in the empty msgstr entries in
coop/translations/en/LC_MESSAGES/messages.po and run it again.
"""

import importlib.util
import textwrap
from pathlib import Path

import pytest
from babel.support import Translations

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "translations.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("coop_translations_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _load_script()


@pytest.fixture(autouse=True)
def _isolated():
    """These tests read files only: stand in for conftest's per-test database transaction."""
    yield


def test_catalog_is_complete_and_compiled():
    problems = translations.problems()
    assert not problems, f"run `{translations.REFRESH}` and translate:\n" + "\n".join(problems)


def test_compiled_catalog_loads_and_translates():
    catalog = Translations.load(str(translations.MO.parents[2]), ["en"])
    assert catalog.gettext("添加联盟单位") == "Add partner unit"
    assert catalog.gettext("此项必填。") == "This field is required."


def test_marshmallow_messages_are_extracted(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "schemas.py").write_text(
        textwrap.dedent(
            """
            from marshmallow import fields, validate
            fields.Field.default_error_messages = {"required": "此项必填。"}
            Schema._default_error_messages = {"unknown": "不认识的字段。"}

            def length(*, min: int = 0, max: int) -> validate.Length:
                if min:
                    return validate.Length(min=min, max=max, error=f"长度应为 {min}–{max} 个字。")
                return validate.Length(max=max, error=f"最多 {max} 个字。")

            name = Trimmed(validate=length(min=2, max=128))
            note = Trimmed(validate=length(max=LIMIT))  # not a literal: left out
            """
        ),
        encoding="utf-8",
    )
    (package / "things.py").write_text(
        textwrap.dedent(
            """
            phone = Trimmed(validate=Regexp(r"^1$", error="请填写有效的电话号码。"))
            title = Trimmed(validate=length(max=64), error_messages={"null": "标题不能为空。"})
            raise ma.ValidationError("签订日期不能晚于今天。", "signed_on")
            raise ma.ValidationError({"a": ["甲有误。"]})
            render("page.html", error=error)
            """
        ),
        encoding="utf-8",
    )
    found = {message for _file, _line, message in translations.marshmallow_messages(package)}
    assert found == {
        "此项必填。",
        "不认识的字段。",
        "长度应为 2–128 个字。",
        "最多 64 个字。",
        "请填写有效的电话号码。",
        "标题不能为空。",
        "签订日期不能晚于今天。",
        "甲有误。",
    }


def test_check_reports_gaps_and_a_stale_mo(tmp_path, monkeypatch):
    catalog = translations.read_catalog()
    monkeypatch.setattr(translations, "PO", tmp_path / "messages.po")
    monkeypatch.setattr(translations, "MO", tmp_path / "messages.mo")
    translations.MO.write_bytes(translations.mo_bytes(catalog))
    catalog["添加联盟单位"].string = ""
    catalog["此项必填。"].flags.add("fuzzy")
    catalog["已添加“%(name)s”。"].string = "Added %(nom)s."
    catalog.delete("请先登录。")
    translations.PO.write_bytes(translations.po_bytes(catalog))

    problems = "\n".join(translations.problems())

    assert "untranslated: '添加联盟单位'" in problems
    assert "fuzzy: '此项必填。'" in problems
    assert "bad translation of '已添加“%(name)s”。'" in problems
    assert "missing from the .po: '请先登录。'" in problems
    assert "messages.mo is out of date" in problems

"""The Chinese catalogue is complete and in step with the code, and both UI languages are served.

English strings are the msgids, so English needs no catalogue; Simplified Chinese lives in
translations/zh_Hans_CN/LC_MESSAGES/messages.po. After adding or changing a wrapped string, run:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
    .venv/bin/pybabel update -i translations/messages.pot -d translations -l zh_Hans_CN

then translate the new entries (and clear any "fuzzy" flag) in the .po file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import flask_babel
import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
EXTRACT_ARGS = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext"]

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _keys(catalog) -> set:
    """(context, msgid) of every entry but the header (empty msgid); obsolete ones are not iterated."""
    return {(message.context, message.id) for message in catalog if message.id}


def _pybabel() -> str:
    beside = Path(sys.executable).with_name("pybabel")
    found = str(beside) if beside.exists() else shutil.which("pybabel")
    if not found:
        pytest.fail("pybabel is not installed next to the test interpreter nor on PATH")
    return found


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogue():
    """The app reads the .mo (gitignored); compile it here when it is missing or older than the .po."""
    assert PO.exists(), f"missing Chinese catalogue {PO}"
    if not MO.exists() or MO.stat().st_mtime < PO.stat().st_mtime:
        catalog = _read(PO)
        fd, tmp = tempfile.mkstemp(dir=MO.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write_mo(handle, catalog)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; pybabel compile would leave it readable
            os.replace(tmp, MO)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    yield


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A fresh extraction of marketplace/**.py and templates/**.html, exactly as developers run it."""
    out = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run([_pybabel(), *EXTRACT_ARGS, "-o", str(out), "."], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    catalog = _read(out)
    assert len(_keys(catalog)) > 100, "extraction found almost nothing: check babel.cfg"
    return catalog


def _show(keys) -> str:
    return "\n".join(f"  {ctx + ' | ' if ctx else ''}{msgid!r}" for ctx, msgid in sorted(keys, key=str))


def test_every_chinese_entry_is_translated():
    catalog = _read(PO)
    assert str(catalog.locale) in ("zh_Hans_CN", "zh_CN")
    empty = {(m.context, m.id) for m in catalog if m.id and not (m.string if isinstance(m.string, str)
                                                                 else all(m.string))}
    assert not empty, "untranslated entries in messages.po:\n" + _show(empty)
    fuzzy = {(m.context, m.id) for m in catalog if m.id and m.fuzzy}
    assert not fuzzy, "fuzzy entries in messages.po (check them, then drop the flag):\n" + _show(fuzzy)


def test_translations_keep_the_placeholders():
    for message in _read(PO):
        if message.id and isinstance(message.id, str):
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), (
                f"placeholders differ in the translation of {message.id!r}: {message.string!r}")


def test_catalogue_matches_the_code(extracted):
    in_code = _keys(extracted)
    translated = _keys(_read(PO))
    missing = in_code - translated
    assert not missing, ("strings in the code with no entry in the Chinese catalogue "
                         "(extract, `pybabel update`, then translate):\n" + _show(missing))
    stale = translated - in_code
    assert not stale, "catalogue entries no longer in the code (`pybabel update`):\n" + _show(stale)
    assert _keys(_read(POT)) == in_code, "translations/messages.pot is out of date: re-run the extract"


def test_error_titles_are_extracted(extracted):
    # errors.py shows `_(exc.title)`; the titles are marked with N_() so they reach the catalogue.
    assert {(None, "Not found"), (None, "Validation failed")} <= _keys(extracted)


ZH = {"lang": '<html lang="zh-CN">', "sign_in": ">登录</a>", "heading": "<h1>已登记数据产品</h1>"}
EN = {"lang": '<html lang="en">', "sign_in": ">Sign in</a>", "heading": "<h1>Registered data products</h1>"}


@pytest.mark.parametrize(("url", "headers", "expected", "other"), [
    ("/?lang=zh", {}, ZH, EN),
    ("/?lang=en", {}, EN, ZH),
    ("/", {"Accept-Language": "en"}, EN, ZH),
    ("/", {"Accept-Language": "zh-CN"}, ZH, EN),
    ("/", {"Accept-Language": "en-GB,en;q=0.9"}, EN, ZH),
    ("/", {}, ZH, EN),  # the default locale
])
def test_home_page_speaks_the_chosen_language(client, url, headers, expected, other):
    flask_babel.refresh()  # the test app context outlives requests; don't let a cached locale leak in
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for key, text in expected.items():
        assert text in page, f"{key}: {text!r} not on {url} with {headers}"
        assert other[key] not in page


def test_language_choice_sticks_for_the_session(client):
    flask_babel.refresh()
    client.get("/?lang=en")
    flask_babel.refresh()
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert ">Sign in</a>" in page and ">登录</a>" not in page
    flask_babel.refresh()
    page = client.get("/?lang=zh", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ">登录</a>" in page and ">Sign in</a>" not in page


@pytest.mark.parametrize(("lang", "title", "back"), [
    ("zh", "<h1>未找到</h1>", "返回产品目录"),
    ("en", "<h1>Not found</h1>", "Back to the catalog"),
])
def test_error_page_title_is_translated(client, lang, title, back):
    # A DomainError's title is shown through `_(exc.title)`; the detail stays English for now.
    flask_babel.refresh()
    response = client.get(f"/certificates/NO-SUCH-NUMBER?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert title in page and back in page

"""Translatable pages (issue 16): every word a person reads in a template is marked for
translation, the English catalog holds every one of them, and the center's language is chosen
by setting: a catalog for it changes the pages, and a language without one is refused."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from tests.support.databases import sqlite_run_only
from tests.untranslated import ROOT, templates, untranslated

pytestmark = sqlite_run_only("the templates' words do not depend on the database")

TEMPLATES = templates()
CATALOG = ROOT / "src" / "homecoming" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_the_checker_finds_every_kind_of_unmarked_word(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<p>Bed board</p><img alt="Photo of {{ name }}" src="x.png">'
        '{{ note|default:"Not recorded" }}{% include "_field.html" with label="Allergies" %}'
        '<td data-label="Dose">{{ dose }}</td><input type="submit" value="Send">'
        "{% translate 'Marked' %}{% blocktranslate %}Also {{ marked }}{% endblocktranslate %}"
        '{{ when|date:"DATETIME_FORMAT" }}{# a comment #}<details{% if x %} open{% endif %}>'
        "</details>"
    )
    found = sorted(words for _, words in untranslated(page))
    assert found == sorted(
        [
            "Bed board",
            '"Not recorded" in {{ note|default:"Not recorded" }}',
            '"Allergies" in {% include "_field.html" with label="Allergies" %}',
            'alt="Photo of …"',
            'data-label="Dose"',
            'value="Send"',
        ]
    )


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_every_word_in_the_template_is_marked_for_translation(template):
    left = [f"line {line}: {words}" for line, words in untranslated(template)]
    assert not left, "Not marked for translation:\n" + "\n".join(left)


def _msgids(po: Path) -> set[str]:
    """The message ids of a catalog (msgid and msgid_plural, joined across lines)."""
    ids, current, key = set(), [], None
    for raw in po.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if line.startswith(("msgid ", "msgid_plural ")):
            if key and current:
                ids.add("".join(current))
            key, current = line.split(" ", 1)[0], [line.split(" ", 1)[1][1:-1]]
        elif line.startswith('"') and key:
            current.append(line[1:-1])
        else:
            if key and current:
                ids.add("".join(current))
            key, current = None, []
    ids.discard("")
    return ids


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext (xgettext)")
def test_the_english_catalog_holds_every_marked_string(tmp_path):
    """`make messages` was run after the last template change: a translator copying
    locale/en starts from every string there is."""
    work = tmp_path / "homecoming"
    shutil.copytree(ROOT / "src" / "homecoming", work, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.rmtree(work / "locale")
    (work / "locale").mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-obsolete"],
        cwd=work,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "homecoming.settings"},
        check=True,
        capture_output=True,
    )
    fresh = _msgids(work / "locale" / "en" / "LC_MESSAGES" / "django.po")
    kept = _msgids(CATALOG)
    assert fresh, "makemessages found no strings"
    missing, stale = sorted(fresh - kept), sorted(kept - fresh)
    assert not missing and not stale, (
        f"Run `make messages`. Missing from locale/en: {missing[:10]}; no longer used: {stale[:10]}"
    )


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs GNU gettext (msgfmt)")
def test_the_centers_language_is_chosen_by_setting(tmp_path, settings, client_for, staff):
    """A center whose language has a catalog sees its pages in it: the same page, the words
    from the catalog (a few words of French are enough to show every template goes through
    it), and its dates in that language's formats."""
    messages = tmp_path / "fr" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Find a resident"\nmsgstr "Trouver un résident"\n\n'
        'msgid "Log out"\nmsgstr "Se déconnecter"\n',
        encoding="utf-8",
    )
    subprocess.run(
        ["msgfmt", "-o", str(messages / "django.mo"), str(messages / "django.po")], check=True
    )
    settings.LOCALE_PATHS = [tmp_path]
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    settings.LANGUAGE_CODE = "fr"
    try:
        page = client_for(staff["caseworker"]).get("/").content.decode()
    finally:
        translation.activate("en")
    assert '<html lang="fr">' in page
    assert "Trouver un résident" in page and "Se déconnecter" in page
    assert "Find a resident" not in page


def test_a_language_without_a_translation_is_refused():
    """HOMECOMING_LANGUAGE names a language with no catalog: the server does not start in a
    half-translated mix, and says which languages it has."""
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "homecoming.settings",
            "HOMECOMING_LANGUAGE": "fr",
        },
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "HOMECOMING_LANGUAGE is 'fr': choose one of en" in run.stderr


def test_dates_read_the_same_on_every_page():
    import datetime as dt

    from django.utils import timezone

    from homecoming.core import dates

    moment = timezone.make_aware(dt.datetime(2026, 12, 6, 14, 5))
    assert dates.day(moment) == "Dec 6, 2026"
    assert dates.moment(moment) == "Dec 6, 2026 14:05"
    assert dates.moment_this_year(moment) == "Dec 6, 14:05"
    assert dates.day_this_year(moment) == "Dec 6"
    assert dates.time_of_day(moment) == "14:05"
    # Stored in UTC, written in the center's zone: 03:30 UTC on the 7th is the 6th in New York.
    late = dt.datetime(2026, 12, 7, 3, 30, tzinfo=dt.UTC)
    assert dates.moment(late) == "Dec 6, 2026 22:30"

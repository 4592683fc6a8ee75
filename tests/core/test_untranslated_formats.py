"""tests/untranslated.py reads the format given to |date or |time as a format, not as words: the
center's named formats and machine formats pass, a display format written out is still listed."""

from tests.untranslated import untranslated


def listed(tmp_path, source):
    path = tmp_path / "page.html"
    path.write_text(source, encoding="utf-8")
    return [words for _line, words in untranslated(path)]


def test_named_and_machine_formats_are_not_words(tmp_path):
    source = (
        '{{ x|date:"D" }} {{ x|date:"DATETIME_FORMAT" }} {{ x|time }} {{ x|time:"H:i:s" }}\n'
        '<a href="?week={{ d|date:\'Y-m-d\' }}">{% translate "Next week" %}</a>\n'
        '{% if d|date:"Y-m-d" == today %}{% endif %}'
    )
    assert listed(tmp_path, source) == []


def test_a_display_format_written_out_is_listed(tmp_path):
    assert listed(tmp_path, '{{ x|date:"M j, Y" }}') == ['"M j, Y" in {{ x|date:"M j, Y" }}']


def test_prose_in_a_filter_is_still_listed(tmp_path):
    assert listed(tmp_path, '{{ x|default:"Not recorded" }}') != []
    assert listed(tmp_path, '{{ x|default:_("Not recorded") }}') == []

"""Words in a template that a translator would never see: text, visible attributes and quoted
prose in tags that are not inside {% translate %} or {% blocktranslate %}.

    .venv/bin/python tests/untranslated.py [TEMPLATE_OR_FOLDER ...]

prints each one with its file and line (every template under src/ when no path is given) and
exits 1 when there are any. tests/core/test_translatable.py runs it over every template."""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "src" / "homecoming"

# Attributes a person reads or hears (a screen reader speaks aria-label and alt).
SPOKEN = {
    "alt",
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-valuetext",
    "label",
    "summary",
    "aria-roledescription",
}
# A letter in any script: text without one ("·", "—", "12") needs no translation.
LETTER = re.compile(r"[^\W\d_]")
# A quoted literal inside a tag or a variable: prose when it has a space or a capital letter,
# unless it is a template's name, or marked _("...").
LITERAL = re.compile(r"""(_\()?(["'])(.*?)\2""")
# The format given to |date or |time: a format's name ("DATETIME_FORMAT") or letters ("D",
# "Y-m-d"), the same in every language.
FORMAT = re.compile(r"""\|(?:date|time):(["'])[^"']*\1""")
# Tags whose quoted arguments are names, not words: a URL name, a static path, a template.
NAMES = {
    "url",
    "static",
    "include",
    "extends",
    "load",
    "block",
    "now",
    "translate",
    "trans",
    "blocktranslate",
    "blocktrans",
    "cycle",
    "templatetag",
    "widthratio",
    "firstof",
}
# Text that is the same in every language: a format's letters, a code of the standard.
MARK = "\x00"


def _prose(literal: str) -> bool:
    if literal.endswith((".html", ".txt", ".js", ".css", ".svg", ".png", ".ico")):
        return False
    return bool(LETTER.search(literal)) and (" " in literal or literal[:1].isupper())


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.hidden = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if name in SPOKEN and value and LETTER.search(value.replace(MARK, "")):
                self.found.append((self.getpos()[0], f'{name}="{value.replace(MARK, "…")}"'))
        if tag == "input":
            kind = dict(attrs).get("type")
            value = dict(attrs).get("value") or ""
            if kind in ("submit", "button", "reset") and LETTER.search(value.replace(MARK, "")):
                self.found.append((self.getpos()[0], f'value="{value}"'))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        text = data.replace(MARK, " ").strip()
        if not self.hidden and LETTER.search(text):
            self.found.append((self.getpos()[0], " ".join(text.split())))


def untranslated(path: Path) -> list[tuple[int, str]]:
    """(line, words) for every piece of text in the template outside the translation tags."""
    source = path.read_text(encoding="utf-8")
    found = []
    plain = []  # the template with translated parts, tags and variables blanked out
    skipping = None  # the end tag of a block whose contents are not text to show
    for token in Lexer(source).tokenize():
        contents = token.contents
        if token.token_type == TokenType.BLOCK:
            name = contents.split()[0] if contents.split() else ""
            if skipping:
                if name == skipping:
                    skipping = None
                plain.append(MARK + "\n" * 0)
                continue
            if name in ("blocktranslate", "blocktrans"):
                skipping = "end" + name
            elif name == "comment":
                skipping = "endcomment"
            elif name == "verbatim":
                skipping = "endverbatim"
            if name not in NAMES:
                for marked, _, literal in LITERAL.findall(FORMAT.sub("", contents)):
                    if not marked and _prose(literal):
                        found.append((token.lineno, f'"{literal}" in {{% {contents} %}}'))
            plain.append(MARK)
        elif token.token_type == TokenType.VAR:
            if not skipping:
                for marked, _, literal in LITERAL.findall(FORMAT.sub("", contents)):
                    if not marked and _prose(literal):
                        found.append((token.lineno, f'"{literal}" in {{{{ {contents} }}}}'))
            plain.append(MARK)
        elif token.token_type == TokenType.COMMENT:
            plain.append(MARK)
        else:
            # Keep the line breaks, so the HTML reader counts lines as the file does.
            plain.append("\n" * contents.count("\n") if skipping else contents)
    reader = _Reader()
    reader.feed("".join(plain))
    reader.close()
    found.extend(reader.found)
    return sorted(found)


def templates(paths=()) -> list[Path]:
    roots = [Path(p) for p in paths] or [SOURCES]
    out = []
    for root in roots:
        out.extend([root] if root.is_file() else sorted(root.rglob("templates/**/*.html")))
        if root.is_dir() and root.name == "templates":
            out.extend(sorted(p for p in root.rglob("*.html") if p not in out))
    return sorted(set(out))


def main(argv) -> int:
    count = 0
    for path in templates(argv):
        for line, words in untranslated(path):
            count += 1
            print(f"{path.relative_to(ROOT) if path.is_absolute() else path}:{line}: {words}")
    print(f"{count} untranslated", file=sys.stderr)
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

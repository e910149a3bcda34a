"""Hostile text for every place a person's or a file's words are shown or exported.

ACCEPTED strings are legitimate free text (however odd): the models take them and every screen and
export must show them literally. REFUSED strings hold an invisible or control character: the models
refuse them at entry, naming the field and the character; a record that already holds one still
loads and shows it escaped.
"""

ACCEPTED: list[str] = [
    # Textual / Rich markup: closing tags with nothing open crashed the screen; actions ran.
    "TXA [/]",
    "[/b]",
    "[/x]",
    "[@click=app.quit]quit[/]",
    "[@click=app.quit]",
    "[bold red]x",
    "[link=http://x]y[/link]",
    "\\[/]",
    "[[/]]",
    "[b]unclosed [i]tags",
    "$variable [$accent]x",
    # HTML and Markdown that a renderer would act on.
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](http://track.example/p.png)",
    "[click](javascript:alert(1))",
    "**bold** _it_ | a | b",
    "`code` ~~strike~~ &lt;b&gt; &amp;",
    "# not a heading",
    # Shell and format strings: data, never code.
    "$(rm -rf /)",
    "%s %n %x",
    "{0} {name!r}",
    "'; DROP TABLE events; --",
    # Legitimate Unicode: combining marks, right-to-left scripts, emoji, long text.
    "Zoe\u0308 Ame\u0301lie Z\u0351\u0364a\u0315",
    "مرحبا، الأدرينالين ١ ملغ",
    "אדרנלין 1 מ״ג",
    "emoji 💉🩸 ok",
    "long " + "x" * 190,
]

# Each holds one character of a class the models refuse in new free text.
REFUSED: dict[str, str] = {
    "esc \x1b[2J": "U+001B",
    "osc \x1b]0;title\x07": "U+001B",
    "c1 csi \x9b2J": "U+009B",
    "c1 nel \x85x": "U+0085",
    "file\u202eexe.txt": "U+202E",
    "iso \u2066late\u2069": "U+2066",
    "lrm \u200ex": "U+200E",
    "alm \u061cx": "U+061C",
    "zero\u200bwidth": "U+200B",
    "zwj a\u200db": "U+200D",
    "word\u2060joiner": "U+2060",
    "bom\ufeffx": "U+FEFF",
    "line\u2028sep": "U+2028",
    "para\u2029sep": "U+2029",
}

"""Templates and static files: no emoji (they render as empty boxes with only Chinese fonts)."""

import re
from pathlib import Path

import web

WEB = Path(web.__file__).resolve().parent
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]")


def test_no_emoji_in_templates_or_static_files():
    found = {}
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("static/*.js"), *WEB.glob("static/*.svg")]:
        chars = set(EMOJI.findall(path.read_text(encoding="utf-8")))
        if chars:
            found[path.name] = sorted(chars)
    assert found == {}

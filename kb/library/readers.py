"""Read policy documents of every supported format into plain text, with real-world encodings."""

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import IngestError
from kb.library.fields import MAX_FULL_TEXT
from kb.library.limits import DEFAULT_LIMITS, IngestLimits

if TYPE_CHECKING:
    from pypdf import PageObject

DOCUMENT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass
class RawDocument:
    """A document's text and what its format says of its title."""

    path: Path
    text: str
    title_hint: str | None = None


def decode(data: bytes, path: Path) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (covers GBK/GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise IngestError(str(path), "looks like a binary file, not text (found NUL bytes)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(str(path), "cannot be decoded as UTF-8, UTF-16 or GB18030/GBK text")


class _HTMLText(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
             "table", "ul", "ol", "pre", "blockquote", "title", "td"}
    SKIP = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title: str | None = None
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP and tag != "head":
            self.skip += 1
        if tag in ("title", "h1"):
            self._in = tag
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and tag != "head" and self.skip:
            self.skip -= 1
        if tag == self._in:
            self._in = None
        if tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in and data.strip() and (self.title is None or self._in == "h1"):
            self.title = data.strip()
        if self._in == "title" or self.skip:
            return
        self.parts.append(data)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Visible text of an HTML page, blocks on their own lines, and its title."""
    parser = _HTMLText()
    parser.feed(html)
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\n\s*\n+", "\n", text).strip(), parser.title


def _markdown_to_text(md: str) -> tuple[str, str | None]:
    title = None
    lines = []
    for line in md.splitlines():
        m = re.match(r"^\s{0,3}(#{1,6})\s+(.*)$", line)
        if m:
            line = m.group(2).strip()
            if title is None and len(m.group(1)) == 1:
                title = line
        line = re.sub(r"^\s*[-*+]\s+", "", line)
        lines.append(re.sub(r"(\*\*|__|`)", "", line))
    return "\n".join(lines), title


def _docx_text(path: Path, limits: IngestLimits) -> str:
    import docx  # python-docx

    limits.check_archive(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for a damaged package
        raise IngestError(str(path), f"not a readable .docx file ({exc.__class__.__name__})") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _pdf_text(path: Path, limits: IngestLimits) -> str:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    parts: list[str] = []
    unpacked = chars = 0
    try:
        reader = PdfReader(str(path))
        for page in reader.pages:
            # Expand the page's content streams before parsing them, so a bomb is refused by
            # its size rather than by the time its operators take to parse.
            unpacked += _content_size(page)
            limits.check_unpacked(path, unpacked)
            parts.append(page.extract_text() or "")
            chars += len(parts[-1])
            _check_length(path, chars)
    except LimitReachedError as exc:  # pypdf's own bounds on one stream or object
        raise IngestError(str(path), f"the PDF expands beyond what can be read ({exc}); "
                          "refused as a possible decompression bomb") from exc
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise IngestError(str(path), f"not a readable PDF ({exc})") from exc
    return "\n".join(parts)


def _content_size(page: "PageObject") -> int:
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, ArrayObject) else [contents]
    return sum(len(s.get_object().get_data()) for s in streams)


def _check_length(path: Path, chars: int) -> None:
    if chars > MAX_FULL_TEXT:
        raise IngestError(str(path), f"the text is too long (more than {MAX_FULL_TEXT} characters; "
                          "split the document)")


def read_document(path: Path, limits: IngestLimits = DEFAULT_LIMITS) -> RawDocument:
    """Text of one document file; raises IngestError naming the file when it cannot be used."""
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        raise IngestError(str(path), f"unsupported file type {suffix or '(none)'}; "
                          f"supported: {', '.join(sorted(DOCUMENT_SUFFIXES | JSONL_SUFFIXES))}")
    limits.check_file(path)
    try:
        if suffix == ".docx":
            text, title = _docx_text(path, limits), None
        elif suffix == ".pdf":
            text, title = _pdf_text(path, limits), None
        else:
            raw = decode(path.read_bytes(), path)
            if suffix in (".html", ".htm"):
                text, title = html_to_text(raw)
            elif suffix in (".md", ".markdown"):
                text, title = _markdown_to_text(raw)
            else:
                text, title = raw, None
    except OSError as exc:
        raise IngestError(str(path), f"cannot be read: {exc.strerror or exc}") from exc
    _check_length(path, len(text))
    if not text.strip():
        raise IngestError(str(path), "the document is empty (no text could be extracted)")
    return RawDocument(path=path, text=text, title_hint=title)

"""Chinese-structure-aware segmentation of a policy text into retrieval passages."""

import re
from dataclasses import dataclass, field

_NUM = "一二三四五六七八九十百零〇两"
# Ordered from the outermost to the innermost numbering style of Chinese official documents.
MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("chapter", re.compile(rf"^第[{_NUM}\d]+[章编]")),
    ("part", re.compile(rf"^第[{_NUM}\d]+部分")),
    ("article", re.compile(rf"^第[{_NUM}\d]+条")),
    ("cn", re.compile(rf"^[{_NUM}]{{1,3}}[、．]")),
    ("paren_cn", re.compile(rf"^[（(][{_NUM}]{{1,3}}[）)]")),
    ("num", re.compile(r"^\d{1,2}[、．.](?!\d)")),
    ("paren_num", re.compile(r"^[（(]\d{1,2}[）)]")),
    ("circled", re.compile(r"^[①-⑳]")),
]
RANK = {name: i for i, (name, _) in enumerate(MARKERS)}
CONTAINERS = {"chapter", "part"}  # headings that group clauses but are not clauses themselves

# A marker that starts a clause in running text (after a space or a sentence end) gets its own line,
# so that one-line texts such as scraped notices segment like properly laid-out ones.
_INLINE_BREAK = re.compile(
    rf"(?<=[\s。；;！？!?：:])[ \t\u3000]*(?=第[{_NUM}\d]+[章条]|[{_NUM}]{{1,3}}、|[（(][{_NUM}]{{1,3}}[）)]|\d{{1,2}}、)"
)
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_RESPONSIBLE = re.compile(
    r"[（(]\s*((?:责任|牵头|配合|主办|协办)(?:单位|部门))\s*[：:]\s*([^（()）]+?)\s*[）)]"
)
_SIGNOFF = re.compile(
    r"^(?:[\d〇零一二三四五六七八九十]{4}年[\d一二三四五六七八九十]{1,2}月[\d一二三四五六七八九十]{1,3}日"
    r"|[（(]此件.{0,10}[）)]|抄送.*|.{2,30}(?:人民政府|办公室|政府|局|委员会|委|厅|部|中心|办)(?:（章）)?)$"
)

MAX_PASSAGE_CHARS = 600
WHOLE_LABEL = "全文"
MIN_INTRO_CHARS = 60


@dataclass
class Segment:
    """One passage cut from a text, with its clause label, heading context and offsets."""

    section: str
    heading: str
    text: str
    start: int
    end: int
    meta: dict = field(default_factory=dict)


@dataclass
class _Node:
    kind: str
    label: str
    start: int
    end: int
    head_line: str
    children: list["_Node"] = field(default_factory=list)
    own: list[tuple[int, int]] = field(default_factory=list)  # spans of lines that are not children


def prepare(text: str) -> str:
    """Normalise line ends and put inline clause markers on their own lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    return _INLINE_BREAK.sub("\n", text)


def _marker(line: str) -> tuple[str, str] | None:
    for kind, pattern in MARKERS:
        m = pattern.match(line)
        if m:
            return kind, m.group(0)
    return None


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, stripped of surrounding spaces."""
    spans = []
    pos = 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if body:
            spans.append((pos + lead, pos + lead + len(body)))
        pos += len(raw) + 1
    return spans


def heading_of(line: str) -> str:
    """A short heading for a clause: the whole line when short, else its first phrase."""
    if len(line) <= 40 and not line.endswith(("。", "；", ";")):
        return line
    first = re.split(r"[。：:；;，,]", line, maxsplit=1)[0]
    return first if len(first) <= 40 else first[:30] + "…"


def _tree(text: str, spans: list[tuple[int, int]]) -> _Node:
    root = _Node("root", "", 0, len(text), "")
    stack = [root]
    for start, end in spans:
        line = text[start:end]
        mk = _marker(line)
        if mk is None:
            stack[-1].own.append((start, end))
            stack[-1].end = end
            continue
        kind, label = mk
        while len(stack) > 1 and RANK[stack[-1].kind] >= RANK[kind]:
            stack.pop()
        node = _Node(kind, label.rstrip(".．"), start, end, line)
        node.own.append((start, end))
        stack[-1].children.append(node)
        stack.append(node)
        for n in stack:
            n.end = max(n.end, end)
    return root


def _responsible(text: str) -> dict:
    found: dict[str, list[str]] = {}
    for role, units in _RESPONSIBLE.findall(text):
        names = [u.strip().removesuffix("等") for u in re.split(r"[、，,；;]", units) if u.strip()]
        found.setdefault(role, []).extend(names)
    return {"responsible": found} if found else {}


def _chunks(text: str, base: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pack paragraphs (and, for an over-long paragraph, its sentences) into <= MAX chunks."""
    pieces: list[tuple[int, int]] = []
    for s, e in spans:
        if e - s <= MAX_PASSAGE_CHARS:
            pieces.append((s, e))
            continue
        pos = s
        for sentence in _SENTENCE_END.split(text[s:e]):
            if sentence:
                pieces.append((pos, pos + len(sentence)))
                pos += len(sentence)
    chunks: list[tuple[int, int]] = []
    for s, e in pieces:
        if chunks and e - chunks[-1][0] <= MAX_PASSAGE_CHARS:
            chunks[-1] = (chunks[-1][0], e)
        else:
            chunks.append((s, e))
    return chunks


def _emit(node: _Node, text: str, label: str, context: list[str], out: list[Segment]) -> None:
    heading = " > ".join(context + [heading_of(node.head_line)])

    def add(start: int, end: int) -> None:
        body = text[start:end].strip()
        if body:
            out.append(Segment(label, heading, body, start, end, _responsible(body)))

    if node.kind in CONTAINERS:
        inner = context + [heading_of(node.head_line)]
        for s, e in node.own[1:]:
            out.append(Segment(label, " > ".join(inner), text[s:e], s, e, _responsible(text[s:e])))
        for child in node.children:
            _emit(child, text, child.label, inner, out)
        return
    if node.end - node.start <= MAX_PASSAGE_CHARS:
        add(node.start, node.end)
        return
    if node.children:
        # The clause's own lines (often just its heading) stand alone only when they say something;
        # a bare heading travels with every sub-clause as heading context instead.
        if sum(e - s for s, e in node.own) > MIN_INTRO_CHARS:
            for s, e in _chunks(text, node.start, node.own):
                add(s, e)
        inner = context + [heading_of(node.head_line)]
        for child in node.children:
            child_label = child.label if child.kind == "article" else label + child.label
            _emit(child, text, child_label, inner, out)
        return
    for s, e in _chunks(text, node.start, node.own):
        add(s, e)


def _strip_signoff(root: _Node, text: str) -> None:
    """Drop the issuer/date lines that close a document from its last clause."""
    node = root
    while node.children:
        node = node.children[-1]
    while len(node.own) > 1 and _SIGNOFF.match(text[node.own[-1][0] : node.own[-1][1]]):
        node.own.pop()
        node.end = node.own[-1][1] if not node.children else max(node.own[-1][1], node.end)
    last = node
    n = root
    while n.children:  # ancestors end where their last descendant now ends
        n.end = max([last.end] + [e for _, e in n.own])
        n = n.children[-1]


def _has_clauses(text: str, spans: list[tuple[int, int]]) -> bool:
    top = {"chapter", "part", "article", "cn"}
    return any((mk := _marker(text[s:e])) and mk[0] in top for s, e in spans)


def segment(text: str, *, preamble_label: str = "序言") -> tuple[str, list[Segment]]:
    """Cut ``text`` into passages; returns the prepared text the offsets refer to, and the passages."""
    text = prepare(text)
    spans = _lines(text)
    if len(text.strip()) <= MAX_PASSAGE_CHARS and not _has_clauses(text, spans):
        # A short answer-like text is one unit: cutting it up only loses context (measured on the
        # eval sets); a short notice with 一、/第X条 clauses is still cut so each clause is citable.
        start = len(text) - len(text.lstrip())
        body = text.strip()
        return text, [Segment(WHOLE_LABEL if preamble_label == "序言" else preamble_label, "", body,
                              start, start + len(body), _responsible(body))]
    root = _tree(text, spans)
    if root.children:
        _strip_signoff(root, text)
    out: list[Segment] = []
    for s, e in _chunks(text, 0, root.own):
        out.append(Segment(preamble_label, "", text[s:e].strip(), s, e, _responsible(text[s:e])))
    for child in root.children:
        _emit(child, text, child.label, [], out)
    return text, out

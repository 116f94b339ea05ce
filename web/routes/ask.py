"""Questions: POST /api/ask answers and logs; POST /api/feedback says whether it helped."""

import time
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool
from sqlalchemy.engine import Engine

from kb.config import Settings
from kb.database.db import read_scope, session_scope
from kb.feedback import ledger
from kb.feedback.questions import LedgerFiler, record_feedback
from kb.feedback.writer import QuestionWriter
from kb.inputs.ids import MAX_ID
from kb.library.policies import search_filters
from kb.models import Validity
from kb.operations.logs import current_request_id
from kb.search.answers import MAX_K, MAX_QUESTION_CHARS, ask
from kb.search.scoped import ask_within
from kb.search.service import Searcher
from web.clients import client_address
from web.deps import EngineDep, QuestionsDep, SettingsDep
from web.metrics import ANSWER_SECONDS, REPLIES
from web.ratelimit import limit_asks, limit_feedback

router = APIRouter(tags=["问答"])


VALIDITY_VALUES: list[JsonValue] = [v.value for v in Validity]  # for the schema's enum


class AskFilters(BaseModel):
    """Restrict the answer to some policies."""

    validity: list[str] | None = Field(default=None, examples=[["有效"]],
                                       description="有效 / 失效 / 废止 / 已修订",
                                       json_schema_extra={"items": {"enum": VALIDITY_VALUES}})
    department: str | None = Field(default=None, examples=["县科技局"], description="部门名称")
    theme: str | None = Field(default=None, examples=["科技创新"])
    policy: str | None = Field(default=None, examples=["jh-2024-sci-01"],
                               description="政策编号：先在本政策内查找，找不到答复时再查全部政策")


class AskIn(BaseModel):
    """A question from the widget, the agent console or any client."""

    # The limits are declared, not enforced here: the domain's check says what is wrong in words
    # a user reads (kb.search.answers).
    question: str = Field(examples=["首次认定高企的公司县里奖励多少钱"],
                          description=f"问题，最多 {MAX_QUESTION_CHARS} 字",
                          json_schema_extra={"maxLength": MAX_QUESTION_CHARS,
                                             # a character that is neither space nor control
                                             "pattern": r"[^\s\u0000-\u001f\u007f]"})
    k: int = Field(default=5, description=f"返回的条款数，1–{MAX_K}",
                   json_schema_extra={"minimum": 1, "maximum": MAX_K})
    filters: AskFilters | None = None
    channel: Literal["widget", "agent", "api"] = "api"


class HitOut(BaseModel):
    """A cited passage."""

    model_config = ConfigDict(extra="allow")

    policy_id: int
    title: str
    doc_number: str | None
    section: str = Field(description="条款，如 第三条、三、（二）")
    kind: str = Field(description="clause / background / purpose / measures / section / faq")
    text: str
    score: float
    validity: str = Field(description="有效 / 失效 / 废止 / 已修订")
    passage_id: int
    heading: str
    superseded_by: dict | None = Field(description="替代它的政策 {policy_id, title, doc_number}")
    signoff: dict | None = Field(default=None, description="拟稿人 / 审核人 / 发布人 {drafter, reviewer, publisher}")


class AskOut(BaseModel):
    """The answer object of ``policykb ask --json`` plus the logged question's id."""

    # Whatever the answer object grows (the search is still evolving) passes through unchanged.
    model_config = ConfigDict(extra="allow")

    query: str
    answer: dict | None = Field(description="最佳条款及 citation；置信度不足时为 null")
    answer_type: str = Field(description="passage / faq（答复）、related（相关条款，仅供参考）、none（转热线）")
    confidence: float
    threshold: float
    message: str = Field(description="给提问人的一句话：出处，或转 12345 热线")
    hits: list[HitOut]
    question_id: int = Field(description="用于 POST /api/feedback")
    suggestions: list[str] = Field(default=[], description="可以换用的问法（已发布的常见问题）")
    scope: Literal["policy", "all"] = Field(
        default="all", description="policy：答复来自筛选的政策；all：来自全部政策")


class FeedbackIn(BaseModel):
    """Whether the answer to a logged question helped."""

    question_id: int = Field(ge=1, le=MAX_ID, description="POST /api/ask 回复中的 question_id")
    helpful: StrictBool  # 0 or "yes" is not an answer to "did it help"
    reason: str | None = Field(default=None, description="最多 500 字")


class FeedbackOut(BaseModel):
    """The stored feedback."""

    ok: bool = True
    feedback_id: int


@router.post("/api/ask", responses={
    404: {"description": "筛选的政策不存在或未发布"},
    422: {"description": "空问题、超过 500 字的问题或未知的筛选值"},
    429: {"description": "提问过于频繁（带 Retry-After 头）"}})
async def post_ask(body: AskIn, request: Request) -> AskOut:
    """Answer a question with cited passages, or hand off to the hotline; the reply carries ``question_id``."""
    # One hop to a worker thread for the whole answer. A sync endpoint hops twice: FastAPI
    # validates its return value in a second hop, a tenth of a busy morning's time.
    return await run_in_threadpool(_answer, body, request)


def _answer(body: AskIn, request: Request) -> AskOut:
    """The answer to ``body`` (in a worker thread: the rate count and ``ask`` block)."""
    # Counted here, not as a dependency: a sync dependency is one more hop to a worker thread
    # per question, which cost a busy morning a tenth of its throughput. The services are read
    # from app.state, not taken as web.deps parameters, for the same reason: even an async
    # dependency costs some 25 µs of CPU per question, 3 % of an answer over HTTP for five.
    limit_asks(request)
    state = request.app.state
    settings: Settings = state.settings
    engine: Engine = state.engine
    searcher: Searcher = state.searcher
    questions: QuestionWriter = state.questions
    filer: LedgerFiler = state.ledger_filer
    filer.note_request()
    f = body.filters
    filters = None
    if f:
        with read_scope(engine) as reader:
            filters = search_filters(session=reader, validity=f.validity, department=f.department,
                                     theme=f.theme, policy=f.policy)
    scope = "all"
    started = time.perf_counter()
    if filters and filters.policy_ids:
        result, scope = ask_within(
            searcher=searcher, question=body.question, k=body.k,
            threshold=settings.answer_threshold, hotline=settings.hotline,
            policy_id=filters.policy_ids[0], filters=filters)
    else:
        result = ask(searcher=searcher, question=body.question, k=body.k,
                     threshold=settings.answer_threshold, hotline=settings.hotline,
                     filters=filters)
    ANSWER_SECONDS.observe(time.perf_counter() - started)
    REPLIES.labels(result.answer_type).inc()
    # Numbered now, written with the next batch (kb.feedback.writer); unanswered questions
    # are filed into the ledger once written.
    question_id = questions.log(
        question=body.question, result=result, channel=body.channel,
        client=client_address(request), request_id=current_request_id())
    return AskOut.model_validate(result.to_dict() | {"question_id": question_id, "scope": scope})


@router.post("/api/feedback", dependencies=[Depends(limit_feedback)], responses={
    404: {"description": "没有这个提问记录"}, 429: {"description": "反馈过于频繁（带 Retry-After 头）"}})
def post_feedback(body: FeedbackIn, settings: SettingsDep, engine: EngineDep,
                  questions: QuestionsDep) -> FeedbackOut:
    """Record whether an answer helped (the widget's 有用 / 没用 buttons)."""
    # A question answered a moment ago may still be in a batch (this worker's or another's):
    # wait for it before taking the write lock, which that batch needs.
    questions.wait_for(body.question_id)
    with session_scope(engine) as session:
        fb = record_feedback(session=session, question_id=body.question_id, helpful=body.helpful,
                             reason=body.reason)
        ledger.note_feedback(session=session, feedback=fb,
                             due_days=settings.ledger_due_days)
    return FeedbackOut(feedback_id=fb.id)

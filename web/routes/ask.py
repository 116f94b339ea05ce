"""Questions: POST /api/ask returns the answer object of ``policykb ask --json``."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from kb.answers import ask

router = APIRouter()


class AskIn(BaseModel):
    """A question from the widget, the agent console or any client."""

    question: str = Field(max_length=2000)
    k: int = Field(default=5, ge=1, le=50)


@router.post("/api/ask")
def post_ask(body: AskIn, request: Request) -> dict:
    """Answer a question with cited passages, or hand off to the hotline."""
    s = request.app.state.settings
    result = ask(searcher=request.app.state.searcher, question=body.question, k=body.k,
                 threshold=s.answer_threshold, hotline=s.hotline)
    return result.to_dict()

"""Staff pages for applications: queues per node, moves, CSV import, statistics (placeholder)."""

from fastapi import APIRouter

router = APIRouter()

"""Ids handed out in blocks, so rows can be numbered before they are written.

A row written later in a batch (the question log) still needs its id at once: the asker's reply
carries it. Each process reserves a block of ids with one short write and numbers rows from it;
every writer of such a table takes its ids here, so a block is never used twice, across
processes and on both databases. Ids are unique and increase within a process; across processes
they interleave, and an unused end of a block is skipped (ids may have gaps).
"""

from sqlalchemy import func, update
from sqlmodel import Field, Session, SQLModel, col, select

from kb.database.db import insert_ignore


class IdBlock(SQLModel, table=True):
    """The next id not yet handed out for one table."""

    name: str = Field(primary_key=True, max_length=40)
    next_id: int


def reserve(session: Session, model: type[SQLModel], count: int = 1) -> range:
    """Reserve ``count`` ids for ``model``'s table in the session's (write) transaction."""
    if count < 1:
        raise ValueError("count must be at least 1")
    name = model.__tablename__
    bump = (update(IdBlock).where(col(IdBlock.name) == name)
            .values(next_id=IdBlock.next_id + count).returning(col(IdBlock.next_id)))
    after = session.execute(bump).scalar_one_or_none()
    if after is None:  # the table's first block: start after the rows written before blocks
        highest = session.exec(select(func.max(model.id))).one() or 0  # type: ignore[attr-defined]
        insert_ignore(session, IdBlock, [{"name": name, "next_id": highest + 1}])
        after = session.execute(bump).scalar_one()
    return range(after - count, after)


def issued(session: Session, model: type[SQLModel], item_id: int) -> bool:
    """Whether ``item_id`` has been handed out for ``model`` (its row may not be written yet)."""
    next_id = session.exec(select(IdBlock.next_id).where(IdBlock.name == model.__tablename__)).first()
    return next_id is not None and 0 < item_id < next_id

"""A database's schema as plain, dialect-neutral lines, to compare with a recorded one."""

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeEngine

from kb.database.schema import VERSION_TABLE


def _kind(kind: TypeEngine) -> str:
    # The type's family (SQLite and PostgreSQL reflect JSON, DATETIME, DOUBLE differently), plus
    # a string's length, which is part of what a migration made.
    family = (kind._type_affinity or type(kind)).__name__
    length = getattr(kind, "length", None)
    return f"{family}({length})" if length else family


def describe(engine: Engine) -> dict[str, list[str]]:
    """Each table's columns, indexes, foreign keys and named CHECKs, one sorted line each."""
    found = inspect(engine)
    out = {}
    for table in sorted(found.get_table_names()):
        if table == VERSION_TABLE or table.startswith("sqlite_"):
            continue
        lines = [f"column {c['name']} {_kind(c['type'])} {'null' if c['nullable'] else 'not null'}"
                 for c in found.get_columns(table)]
        lines += [f"index {i['name']} ({', '.join(str(c) for c in i['column_names'])})"
                  f"{' unique' if i['unique'] else ''}" for i in found.get_indexes(table)
                  if not i.get("duplicates_constraint")]  # PostgreSQL's index behind a UNIQUE
        lines += [f"unique ({', '.join(u['column_names'])})"
                  for u in found.get_unique_constraints(table)]
        lines += [f"foreign key ({', '.join(f['constrained_columns'])}) -> {f['referred_table']}"
                  f"({', '.join(f['referred_columns'])})" for f in found.get_foreign_keys(table)]
        lines += [f"check {c['name']}" for c in found.get_check_constraints(table) if c["name"]]
        pk = found.get_pk_constraint(table)["constrained_columns"]
        lines.append(f"primary key ({', '.join(pk)})")
        out[table] = sorted(lines)
    return out

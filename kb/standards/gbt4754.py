"""The GB/T 4754-2017 section and division table, loaded lazily from package data."""

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Divisions:
    """The 20 sections (门类) and 97 divisions (大类) of GB/T 4754-2017."""

    section_names: dict[str, str]  # "C" -> "制造业"
    division_names: dict[str, str]  # "39" -> "计算机、通信和其他电子设备制造业"
    division_section: dict[str, str]  # "39" -> "C"
    section_divisions: dict[str, tuple[str, ...]]  # "C" -> ("13", ..., "43")


@lru_cache(maxsize=1)
def divisions() -> Divisions:
    """The division table, parsed once on first use."""
    text = resources.files("kb.standards").joinpath("data/gbt4754_divisions.tsv").read_text("utf-8")
    section_names: dict[str, str] = {}
    division_names: dict[str, str] = {}
    division_section: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        section, division = row["section"].strip(), row["division"].strip()
        section_names[section] = row["section_name"].strip()
        division_names[division] = row["division_name"].strip()
        division_section[division] = section
        members.setdefault(section, []).append(division)
    return Divisions(
        section_names=section_names,
        division_names=division_names,
        division_section=division_section,
        section_divisions={s: tuple(d) for s, d in members.items()},
    )

"""How large an input ingestion accepts: refused early, naming the file, before memory is spent."""

import zipfile
from dataclasses import dataclass
from pathlib import Path

from kb.config import Settings
from kb.errors import IngestError

MB = 1024 * 1024


@dataclass(frozen=True)
class IngestLimits:
    """Bounds on one input file; the defaults are ``Settings``' (see docs/operators.md, "Configuration")."""

    max_file_bytes: int = 32 * MB
    max_unpacked_bytes: int = 32 * MB  # a .docx's members, a PDF's page contents, once expanded
    max_line_chars: int = 1_000_000  # one JSONL record
    max_passages: int = 2000  # passages cut from one policy

    @classmethod
    def from_settings(cls, settings: Settings) -> "IngestLimits":
        """The limits configured with ``KB_INGEST_*``."""
        return cls(max_file_bytes=int(settings.ingest_max_file_mb * MB),
                   max_unpacked_bytes=int(settings.ingest_max_unpacked_mb * MB),
                   max_line_chars=settings.ingest_max_line_chars,
                   max_passages=settings.ingest_max_passages)

    def check_file(self, path: Path) -> None:
        """Refuse a file larger than the limit, before any of it is read."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise IngestError(str(path), f"cannot be read: {exc.strerror or exc}") from exc
        if size > self.max_file_bytes:
            raise IngestError(str(path), f"the file is too large ({_mb(size)}; at most "
                              f"{_mb(self.max_file_bytes)}, KB_INGEST_MAX_FILE_MB)")

    def check_archive(self, path: Path) -> None:
        """Refuse a zip package (.docx) whose members expand beyond the limit (a zip bomb)."""
        try:
            with zipfile.ZipFile(path) as archive:
                # zipfile never returns more than a member's declared size, so the declared
                # sizes bound what reading the package can expand to.
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise IngestError(str(path), f"not a readable .docx file ({exc.__class__.__name__})") from exc
        self.check_unpacked(path, unpacked)

    def check_unpacked(self, path: Path, unpacked: int) -> None:
        """Refuse a document whose expanded content exceeds the limit."""
        if unpacked > self.max_unpacked_bytes:
            raise IngestError(str(path), f"the document expands to more than "
                              f"{_mb(self.max_unpacked_bytes)} (KB_INGEST_MAX_UNPACKED_MB); "
                              "refused as a possible decompression bomb")


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


DEFAULT_LIMITS = IngestLimits()

"""Domain errors: each carries a message a user can act on; web/ maps them to HTTP statuses."""


class KBError(Exception):
    """Base class of every error PolicyKB reports to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(KBError):
    """A record that was asked for does not exist."""


class PolicyNotFound(NotFound):
    """No policy with that id."""


class InvalidInput(KBError):
    """Input that cannot be accepted as it is (bad file, bad field, bad filter)."""


class IngestError(InvalidInput):
    """A document could not be ingested; the message names the file and, for JSONL, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class AuthenticationFailed(KBError):
    """Sign-in refused (unknown user, wrong password, disabled account) or not signed in."""


class PermissionDenied(KBError):
    """The caller may not do this (wrong role, own draft, other department, not staff)."""


class Conflict(KBError):
    """The record is not in a state that allows this (e.g. publishing a draft not yet approved)."""


class TooManyAttempts(KBError):
    """Too many failed attempts; ``retry_after_s`` says when to try again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class InvalidIndustryCode(InvalidInput):
    """An industry code that is not a GB/T 4754-2017 section, division, group or class."""

"""Errors the push package reports to users; web/ maps them to HTTP statuses."""

from kb.errors import InvalidInput, NotFound


class InvalidCreditCode(InvalidInput):
    """A 统一社会信用代码 that fails the GB 32100-2015 format or check character."""


class FirmNotFound(NotFound):
    """No firm registered under that credit code."""

"""Errors the push package reports to users; web/ maps them to HTTP statuses."""

from kb.errors import InvalidInput, NotFound


class InvalidIndustryCode(InvalidInput):
    """An industry code that is not a GB/T 4754-2017 section, division, group or class."""


class InvalidCreditCode(InvalidInput):
    """A 统一社会信用代码 that fails the GB 32100-2015 format or check character."""


class FirmNotFound(NotFound):
    """No firm registered under that credit code."""

"""What a search or a policy list may be restricted to: validity, departments, a theme, policies."""

from dataclasses import dataclass, field


@dataclass
class Filters:
    """Restrictions on what a search may return."""

    validity: list[str] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    theme: str | None = None
    policy_ids: list[int] = field(default_factory=list)

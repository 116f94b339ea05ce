"""Staff: accounts, sign-in sessions and throttling, roles, and the append-only audit trail."""

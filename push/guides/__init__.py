"""申兑指南: a policy's application guide as data, its benefit rules and the policy calculator."""

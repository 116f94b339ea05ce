"""What people asked and whether it helped: the question log, the unanswered-question ledger, statistics and the agent console."""

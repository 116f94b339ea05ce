"""Getting pushes to firms: the outbox, worker, channels, subscriptions, rendering, tracking and the funnel."""

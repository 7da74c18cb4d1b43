"""Human handoff: the queue, claims, transfers, closing, presence and notifications."""

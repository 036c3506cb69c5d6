"""What goes out and comes in: the outbox's lanes and pacing, the inbox of updates."""

"""Who is on duty, the deadlines, and the escalation when one is missed."""

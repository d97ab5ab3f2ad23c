"""Users, roles, sessions, API keys, the audit log and the watch on it."""

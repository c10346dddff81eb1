"""Access (terms, article 10): actors, roles, console users, sessions, login and its limit."""

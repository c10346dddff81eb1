"""Privacy (terms, articles 4, 5(2), 10): purpose-bound reads, the policy, the audit log."""

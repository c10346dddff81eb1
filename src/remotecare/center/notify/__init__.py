"""Notifications: whom to tell about an incident, a durable outbox written with the
incident's change, and delivery by e-mail and signed webhooks."""

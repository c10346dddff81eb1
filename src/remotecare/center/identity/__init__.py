"""Identity (terms, article 6): enrolment, certificates, renewal, revocation, endpoints."""

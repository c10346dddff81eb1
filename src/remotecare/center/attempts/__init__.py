"""Failed attempts counted across every center process: the enrolment and login limits."""

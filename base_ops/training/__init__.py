"""Training: courses, sessions, enrolment, attendance, completion and certificates."""

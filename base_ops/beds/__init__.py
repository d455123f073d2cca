"""The bed board: bed assignments with no double-booking held by the database."""

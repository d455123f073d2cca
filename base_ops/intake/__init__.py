"""Intake: release notices and their deadlines, the working-day calendar, admission, stays, leave, discharge."""

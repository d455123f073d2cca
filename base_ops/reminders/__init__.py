"""Reminders (issue 19): each user's items computed daily from the rules, closed when the work is done."""

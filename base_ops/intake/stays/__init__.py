"""Stays at a base: admission, leave, absence, discharge."""

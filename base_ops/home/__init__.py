"""Each role's home page."""

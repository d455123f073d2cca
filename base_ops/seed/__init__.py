"""Loading reference and demo data from files in seed/."""

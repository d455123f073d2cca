"""Placements: referrals of residents to postings, hires, retention checks."""

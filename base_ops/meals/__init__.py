"""Meals: the kitchen's daily roster by diet, and the monthly meal cost per base."""

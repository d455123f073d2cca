"""Residents: the person's file (一人一档) and case notes (帮教记录)."""

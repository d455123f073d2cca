"""Sites: regions (GB/T 2260), bases, rooms, beds with service history, dibao reference data."""

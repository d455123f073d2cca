"""Subsidy claims and payment batches: enterprise subsidies, living allowance, handover subsidy."""

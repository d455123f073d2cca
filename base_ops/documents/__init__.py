"""Documents as PDF (issue 19): the paper a base and a county bureau sign, built from HTML templates."""

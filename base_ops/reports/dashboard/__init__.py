"""The dashboard pages and API: key figures, trends, units, the people behind a number, report spreadsheets."""

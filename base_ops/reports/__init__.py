"""Reports upward: rates computed in SQL, dashboards, spreadsheets, background exports, monthly reports."""

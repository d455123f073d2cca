"""Detail spreadsheets and the background export jobs that build the large ones."""

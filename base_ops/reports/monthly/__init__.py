"""Monthly reports (月报): submitted versions, corrections, who has submitted."""

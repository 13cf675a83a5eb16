"""The job engine: every unit of background work is a ProcessingJob row."""

"""A run folder: its record (metrics.json), identity, lifecycle, weights, and a sweep's status."""

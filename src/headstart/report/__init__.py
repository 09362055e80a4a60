"""A run's self-contained HTML report."""

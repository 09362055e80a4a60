"""Reading, validating and splitting user data."""

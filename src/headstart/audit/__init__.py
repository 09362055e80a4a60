"""Audits of data and models: duplicates, leakage, label errors, counterfactual bias tests."""

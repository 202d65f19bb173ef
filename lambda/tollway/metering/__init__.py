"""Costs, spend, budgets and rate limits (the pipeline's ``Meter`` seam)."""

"""Labelled "same story" pairs for the near-duplicate bench (issue 16): see README.md."""

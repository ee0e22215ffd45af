"""Labelled questions and the metrics that score answers against them."""

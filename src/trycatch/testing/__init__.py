"""Fakes and helpers for tests and benchmarks; nothing in trycatch imports this package."""

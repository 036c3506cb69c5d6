"""Benchmarks: scripts that measure and report. They are not tests and never fail on speed."""

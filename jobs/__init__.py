"""Scheduled jobs: the clock entry point and one small module per job."""

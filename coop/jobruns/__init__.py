"""Running scheduled jobs once per period: the run-once record and the PostgreSQL locks that let
a second clock (or a `flask jobs run` beside the clock) stand by instead of running twice."""

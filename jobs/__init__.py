"""Scheduled jobs: the clock (`python -m jobs.clock`) and one small module per job."""

from jobs import (
    claim_deadlines,
    deliver_notices,
    expire_points,
    expire_redemptions,
    match,
    monthly_badges,
    open_terms,
    reminders,
    requeue_imports,
    settle_points,
)

JOBS = {
    job.name: job
    for job in (
        settle_points.JOB,
        expire_points.JOB,
        expire_redemptions.JOB,
        claim_deadlines.JOB,
        monthly_badges.JOB,
        open_terms.JOB,
        match.JOB,
        requeue_imports.JOB,
        deliver_notices.JOB,
        reminders.JOB,
    )
}

-- One successful claim's SQL: what coop.claims.service.claim_project sends for a liaison whose
-- unit claims an auto-approved team project (the costliest claim: it also takes a slot and
-- names the lead), written once for pgbench as the physical limit of this logic. bench/claims.py
-- runs it against coop_bench with -M prepared (psycopg prepares a statement at its fifth use on a
-- connection, and forgets them all at each ROLLBACK, such as a refused claim's) and
-- defines community, first_project, projects, first_unit, units and actor_offset (a unit's
-- liaison is user unit + actor_offset).
--
-- Every statement runs in every transaction: pgbench cannot branch on a refusal the way the
-- service does. Once a project is full its UPDATE changes no row (the condition keeps the CHECK
-- on approved_count from failing); a claimant who already holds a live claim meets ON CONFLICT
-- DO NOTHING. Not in here, because it is not the claim's: the request's own read (the
-- signed-in user with her grants, one statement). Her communities are not read: her unit's
-- membership, locked below, shows she belongs to the project's community.
\set project random(:first_project, :first_project + :projects - 1)
\set unit random(:first_unit, :first_unit + :units - 1)
\set actor :unit + :actor_offset
BEGIN;
-- The project, visible to the actor and not a draft, under its row lock.
SELECT id, community_id, title, description, category, mode, slots, volunteer_capacity,
       schedule, starts_at, ends_at, claim_deadline, auto_approve, status, approved_count,
       lead_claim_id, cancel_reason, created_by_id, created_at, published_at, version
  FROM projects
 WHERE community_id IN (:community) AND status <> 'draft' AND id = :project
   FOR UPDATE OF projects;
-- Her unit's membership under its row lock, with its live agreement and the community's limit.
SELECT memberships.unit_id,
       EXISTS (SELECT * FROM agreements
                WHERE agreements.unit_id = memberships.unit_id
                  AND agreements.community_id = memberships.community_id
                  AND agreements.starts_on <= current_date AND agreements.ends_on >= current_date
                  AND (agreements.ended_on IS NULL OR agreements.ended_on > current_date))
         AS has_live_agreement,
       communities.max_open_claims
  FROM memberships JOIN communities ON communities.id = memberships.community_id
 WHERE memberships.unit_id IN (:unit) AND memberships.community_id = :community
 ORDER BY memberships.id LIMIT 1
   FOR UPDATE OF memberships;
-- The unit's open claims in the community, counted under that lock.
SELECT count(*) FROM claims JOIN projects ON claims.project_id = projects.id
 WHERE claims.unit_id = :unit AND claims.status = 'approved' AND projects.community_id = :community;
-- The claim, approved, unless the unit holds a live claim on the project.
INSERT INTO claims (project_id, claimant_type, unit_id, volunteer_id, team_id, claimant_key,
                    status, note, decision_reason, created_by_id, created_at, decided_by_id,
                    decided_at, fulfilled_at)
VALUES (:project, 'unit', :unit, NULL, NULL, 'unit:' || :unit, 'approved', '', '', :actor,
        now(), NULL, now(), NULL)
ON CONFLICT (project_id, claimant_key) WHERE status IN ('pending', 'approved') DO NOTHING
RETURNING id;
-- The slot, the lead and the fullness (the service works these out in Python; the same row).
UPDATE projects
   SET approved_count = approved_count + 1,
       lead_claim_id = coalesce(lead_claim_id, currval('claims_id_seq')::integer),
       status = CASE WHEN approved_count + 1 = slots THEN 'claimed' ELSE status END,
       version = version + 1
 WHERE id = :project AND approved_count < slots;
-- The audit rows: the claim created, the project's slot taken.
INSERT INTO audit_log (at, actor_id, community_id, action, object_type, object_id, before, after)
VALUES (now(), :actor, :community, 'create', 'claims', currval('claims_id_seq')::text, 'null',
        json_build_object('id', currval('claims_id_seq'), 'project_id', :project::integer,
                          'claimant_type', 'unit', 'unit_id', :unit::integer, 'volunteer_id', NULL,
                          'team_id', NULL, 'claimant_key', 'unit:' || :unit,
                          'status', 'approved', 'note', '', 'decision_reason', '',
                          'created_by_id', :actor::integer, 'created_at', now(), 'decided_by_id', NULL,
                          'decided_at', now(), 'fulfilled_at', NULL)),
       (now(), :actor, :community, 'update', 'projects', :project::text,
        '{"approved_count": 0, "lead_claim_id": null}',
        json_build_object('approved_count', 1, 'lead_claim_id', currval('claims_id_seq')));
END;

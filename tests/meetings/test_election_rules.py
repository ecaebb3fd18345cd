"""推选轮值副书记: candidates are member units with a live agreement; one vote per member unit, or
协商一致 with the units that agreed; the secretary certifies, which sets the term's deputy and
opens its 六个一. Every refusal writes nothing."""

from datetime import timedelta

import pytest

from coop.alliance.models import AllianceOffice, OfficeRole
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.meetings import errors, queries, service
from coop.meetings.models import DeputyElection, ElectionMethod, ElectionVote
from coop.terms import queries as terms_queries
from coop.terms.models import PlanStatus
from tests.factories import make_community, make_unit
from tests.meetings.conftest import NOW, rows


def _start(secretary, term, candidates, method=ElectionMethod.VOTE):
    return service.start_election(
        secretary,
        term.id,
        method=method,
        candidate_unit_ids=[u.id for u in candidates],
        meeting_id=queries.term_assembly(term.id).id,
        today=terms_queries.local_day(NOW),
    )


def test_candidates_must_have_a_live_agreement(secretary, term, units):
    with pytest.raises(errors.NoLiveAgreement):
        _start(secretary, term, [units[0], units[2]])
    assert rows(DeputyElection) == 0


def test_a_unit_that_is_not_a_member_cannot_stand(secretary, term, units):
    with pytest.raises(errors.NoLiveAgreement):
        _start(secretary, term, [make_unit(make_community())])


def test_one_choice_per_term(secretary, term, units):
    _start(secretary, term, units[:2])
    with pytest.raises(errors.ElectionExists):
        _start(secretary, term, units[:1])


def test_consensus_has_one_candidate(secretary, term, units):
    with pytest.raises(errors.ConsensusNeedsOneCandidate):
        _start(secretary, term, units[:2], ElectionMethod.CONSENSUS)


def test_votes_elect_the_leader_and_certifying_sets_the_deputy(secretary, term, units):
    election = _start(secretary, term, units[:2])
    for voter, choice in [(units[0], units[1]), (units[1], units[1]), (units[2], units[0])]:
        service.record_vote(
            secretary, election.id, voter_unit_id=voter.id, candidate_unit_id=choice.id, now=NOW
        )
    assert [(u.id, n) for u, n in queries.tally(election)] == [(units[1].id, 2), (units[0].id, 1)]
    office = service.certify_election(secretary, election.id, holder_name="李明", now=NOW)
    assert office.role is OfficeRole.DEPUTY and office.unit_id == units[1].id
    assert election.chosen_unit_id == units[1].id and election.certified_at == NOW
    assert terms_queries.require_plan(term.id).status is PlanStatus.OPEN


def test_a_unit_without_a_live_agreement_still_votes_as_a_member(secretary, term, units):
    election = _start(secretary, term, units[:1])
    vote = service.record_vote(
        secretary, election.id, voter_unit_id=units[2].id, candidate_unit_id=units[0].id, now=NOW
    )
    assert vote.voter_unit_id == units[2].id


def test_a_vote_by_a_unit_that_is_not_a_member_is_refused(secretary, term, units):
    election = _start(secretary, term, units[:2])
    with pytest.raises(errors.NotAVoter):
        service.record_vote(
            secretary,
            election.id,
            voter_unit_id=make_unit(make_community()).id,
            candidate_unit_id=units[0].id,
            now=NOW,
        )
    assert rows(ElectionVote) == 0


def test_a_second_vote_by_the_same_unit_is_refused(secretary, term, units):
    election = _start(secretary, term, units[:2])
    service.record_vote(
        secretary, election.id, voter_unit_id=units[0].id, candidate_unit_id=units[0].id, now=NOW
    )
    with pytest.raises(errors.AlreadyVoted):
        service.record_vote(
            secretary,
            election.id,
            voter_unit_id=units[0].id,
            candidate_unit_id=units[1].id,
            now=NOW,
        )
    assert rows(ElectionVote) == 1


def test_a_vote_for_a_unit_not_nominated_is_refused(secretary, term, units):
    election = _start(secretary, term, units[:1])
    with pytest.raises(errors.NotACandidate):
        service.record_vote(
            secretary,
            election.id,
            voter_unit_id=units[0].id,
            candidate_unit_id=units[1].id,
            now=NOW,
        )


def test_certifying_with_no_votes_is_refused_and_no_deputy_is_set(secretary, term, units):
    election = _start(secretary, term, units[:2])
    with pytest.raises(errors.NoVotes):
        service.certify_election(secretary, election.id, holder_name="李明", now=NOW)
    assert terms_queries.deputy_of(term.id) is None and election.certified_at is None


def test_a_tie_cannot_be_certified(secretary, term, units):
    election = _start(secretary, term, units[:2])
    for voter, choice in [(units[0], units[1]), (units[1], units[0])]:
        service.record_vote(
            secretary, election.id, voter_unit_id=voter.id, candidate_unit_id=choice.id, now=NOW
        )
    with pytest.raises(errors.TiedVote):
        service.certify_election(secretary, election.id, holder_name="李明", now=NOW)
    assert terms_queries.deputy_of(term.id) is None


def test_consensus_records_who_agreed_and_certifies(secretary, term, units):
    election = _start(secretary, term, units[:1], ElectionMethod.CONSENSUS)
    service.record_agreement(secretary, election.id, unit_ids=[u.id for u in units], now=NOW)
    with pytest.raises(errors.AlreadyVoted):
        service.record_agreement(secretary, election.id, unit_ids=[units[0].id], now=NOW)
    with pytest.raises(errors.WrongMethod):
        service.record_vote(
            secretary,
            election.id,
            voter_unit_id=units[0].id,
            candidate_unit_id=units[0].id,
            now=NOW,
        )
    service.certify_election(secretary, election.id, holder_name="张海燕", now=NOW)
    assert terms_queries.deputy_of(term.id).unit_id == units[0].id


def test_a_certified_choice_is_final(secretary, term, units):
    election = _start(secretary, term, units[:1], ElectionMethod.CONSENSUS)
    service.record_agreement(secretary, election.id, unit_ids=[units[0].id], now=NOW)
    service.certify_election(secretary, election.id, holder_name="张海燕", now=NOW)
    with pytest.raises(errors.ElectionCertified):
        service.record_agreement(secretary, election.id, unit_ids=[units[1].id], now=NOW)
    with pytest.raises(errors.ElectionCertified):
        service.certify_election(secretary, election.id, holder_name="李明", now=NOW)


def test_only_the_secretary_runs_the_choice(secretary, term, units, liaison):
    with pytest.raises(Forbidden):
        _start(liaison, term, units[:1])
    election = _start(secretary, term, units[:1])
    with pytest.raises(Forbidden):
        service.record_vote(
            liaison, election.id, voter_unit_id=units[0].id, candidate_unit_id=units[0].id, now=NOW
        )


def test_no_candidates_is_invalid(secretary, term, units):
    with pytest.raises(Invalid):
        _start(secretary, term, [])


def test_the_rotation_lists_who_has_held_it_and_who_has_not(secretary, term, units):
    election = _start(secretary, term, units[:1], ElectionMethod.CONSENSUS)
    service.record_agreement(secretary, election.id, unit_ids=[units[0].id], now=NOW)
    service.certify_election(secretary, election.id, holder_name="张海燕", now=NOW)
    rotation = queries.rotation(term.alliance_id, terms_queries.member_units(term_community(term)))
    assert [r.unit.id for r in rotation if not r.terms] == sorted(
        [units[1].id, units[2].id], key=lambda uid: db.session.get(type(units[0]), uid).name
    )
    assert rotation[-1].unit.id == units[0].id and rotation[-1].terms == [term]
    offices = db.session.query(AllianceOffice).filter_by(term_id=term.id).all()
    assert len(offices) == 1


def term_community(term):
    return terms_queries.community_id_of(term)


def test_a_past_deadline_does_not_matter_to_the_certification(secretary, term, units):
    """The choice is certified whenever the secretary does it; the term's dates are the term's."""
    election = _start(secretary, term, units[:1], ElectionMethod.CONSENSUS)
    service.record_agreement(secretary, election.id, unit_ids=[units[1].id], now=NOW)
    office = service.certify_election(
        secretary, election.id, holder_name="张海燕", now=NOW + timedelta(days=3)
    )
    assert office.holder_name == "张海燕"

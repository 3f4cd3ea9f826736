"""Planning knows a route's traffic rules: weights stepped under a cohort rule warn; an unmanaged A/B
route's cohorts are not rewritten by promote or abort."""

from __future__ import annotations

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.model import Owner, Split, Strategy
from rolldeck.engine.plans import plan_action
from rolldeck.engine.traffic import Cohort, Match, MatchKind, MatchOp, TrafficRules
from tests.engine.factories import CANARY, canary_release, fleet

JASON = Cohort(((Match(MatchKind.HEADER, "end-user", MatchOp.EXACT, "jason"),),), Split.of(canary=100))


def plan(release, kind, **kw):
    return plan_action(fleet(release), Action(kind, CANARY, **kw))


def test_stepping_weights_under_a_cohort_rule_warns_and_still_plans():
    result = plan(canary_release(10, owner=Owner.UNMANAGED, rules=TrafficRules((JASON,))), ActionKind.STEP_UP)
    assert result.ok
    assert result.warnings == ("the route's first rule sends a cohort elsewhere, ahead of the weights: header end-user=jason → canary 100%",)
    assert "⚠ the route's first rule sends a cohort elsewhere" in result.diff  # the confirm modal and audit carry it


def test_without_cohorts_there_is_no_warning():
    assert plan(canary_release(10, owner=Owner.UNMANAGED), ActionKind.STEP_UP).warnings == ()


def test_pause_is_not_a_weight_change_so_it_does_not_warn():
    assert plan(canary_release(10, owner=Owner.UNMANAGED, rules=TrafficRules((JASON,))), ActionKind.PAUSE).warnings == ()


def test_unmanaged_ab_routes_are_not_promoted_or_aborted_by_weights():
    ab = canary_release(0, owner=Owner.UNMANAGED, strategy=Strategy.AB, rules=TrafficRules((JASON,)))
    for kind in (ActionKind.PROMOTE, ActionKind.ABORT):
        result = plan(ab, kind)
        assert not result.ok and "unmanaged A/B route: its cohorts are match rules" in result.refusal
    assert not plan(ab, ActionKind.STEP_UP).ok  # weights: canary strategy only


def test_flagger_ab_promote_is_its_gate_and_allowed():
    ab = canary_release(0, owner=Owner.FLAGGER, strategy=Strategy.AB, rules=TrafficRules((JASON,)))
    result = plan(ab, ActionKind.PROMOTE)
    assert result.ok, result.refusal

"""The confirm modal's content without Textual: friction by risk, the judge's objection in plain
numbers, the completing move's headline and its short-evidence warning, the live signals."""

from __future__ import annotations

from rolldeck.console.attention import AttentionItem, Severity
from rolldeck.console.frames.confirm_risk import Friction, assess, live_signals
from rolldeck.console.frames.frame import ReleaseRow
from rolldeck.console.verdicts import ReleaseVerdict
from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import Override
from rolldeck.engine.judge import Verdict
from rolldeck.engine.plans import plan_action
from tests.engine.factories import CANARY, canary_release, fleet

EVIDENCE = "eu-west-1: canary 503 errors in 37,217 requests vs stable 347 in 333,177 — 13× worse"
FAIL = ReleaseVerdict(Verdict.FAIL, EVIDENCE, 37_217, 1_000, by_autopilot=False)
SHORT = ReleaseVerdict(Verdict.INCONCLUSIVE, "too few requests", 9, 1_000, by_autopilot=False)
FAILING = AttentionItem(Severity.ERROR, "FAILING", CANARY.cluster, "eu-west-1", CANARY, EVIDENCE)


def risk(kind, verdict=None, attention=(), *, weight=10, protected=False, **options):
    release = canary_release(weight)
    plan = plan_action(fleet(release), Action(kind, CANARY, **options))
    row = ReleaseRow(release, "eu-west-1", verdict, None, None)
    return assess(plan, row, attention, protected=protected)


def test_a_forward_move_over_a_fail_shows_the_evidence_needs_the_name_and_records_the_override():
    for kind in (ActionKind.PROMOTE, ActionKind.STEP_UP):
        found = risk(kind, FAIL, (FAILING,))
        assert found.friction is Friction.TYPED_NAME  # outside a protected context too
        assert found.alarms == (f"the judge says Fail (37,217 canary requests): {EVIDENCE}",)  # once, not again for FAILING
        assert found.override == Override("Fail", EVIDENCE, "FAILING")


def test_an_alert_without_a_fail_verdict_still_objects():
    degraded = AttentionItem(Severity.ERROR, "DEGRADED", CANARY.cluster, "eu-west-1", CANARY, "canary pods crash-looping")
    found = risk(ActionKind.STEP_UP, SHORT, (degraded,))
    assert found.alarms == ("DEGRADED in the attention queue: canary pods crash-looping",)
    assert found.override == Override("", "canary pods crash-looping", "DEGRADED")
    waiting = AttentionItem(Severity.WARNING, "WAITING", CANARY.cluster, "eu-west-1", CANARY, "paused: resume to continue")
    assert risk(ActionKind.STEP_UP, None, (waiting,)).alarms == ()  # waiting for a human is what a promote answers


def test_moves_toward_safety_take_one_confirmation_anywhere_even_over_a_fail():
    for kind in (ActionKind.ABORT, ActionKind.PAUSE, ActionKind.STEP_DOWN):
        found = risk(kind, FAIL, (FAILING,), protected=True)
        assert found.friction is Friction.ONE_CONFIRMATION and found.override is None and found.alarms == ()


def test_protected_contexts_keep_the_typed_name_for_forward_moves_only():
    assert risk(ActionKind.STEP_UP, protected=True).friction is Friction.TYPED_NAME
    assert risk(ActionKind.STEP_UP, protected=False).friction is Friction.CONFIRM
    assert risk(ActionKind.SET_MIRROR, protected=True, percent=5.0).friction is Friction.TYPED_NAME


def test_a_completing_move_says_so_and_warns_of_short_evidence():
    release = canary_release(50)
    plan = plan_action(fleet(release), Action(ActionKind.SET_WEIGHT, CANARY, weight=100))
    found = assess(plan, ReleaseRow(release, "eu-west-1", SHORT, None, None), (), protected=False)
    assert found.headline == "set-weight completes the rollout: v2 → 100 %"
    assert found.cautions == ("short evidence: the judge has seen 9 canary requests and needs 1,000 before it can pass (Inconclusive)",)
    passed = ReleaseVerdict(Verdict.PASS, "fine", 5_000, 1_000, by_autopilot=False)
    assert assess(plan, ReleaseRow(release, "eu-west-1", passed, None, None), (), protected=False).cautions == ()
    assert risk(ActionKind.STEP_UP, SHORT).headline is None  # 10 % → 25 % ends nothing


def test_live_signals_name_weights_success_p99_and_the_verdict():
    row = ReleaseRow(canary_release(10), "eu-west-1", FAIL, None, None)
    lines = live_signals(row, 480.0)
    assert lines[0].startswith("live at 00:08:00   traffic 10% (desired→observed) · Progressing")
    assert "stable · canary: success" in lines[1] and "p99" in lines[1]
    assert lines[2] == "       verdict Fail (37,217 / 1,000 canary requests)"
    assert live_signals(None, 480.0) == ("live   the release is gone from the snapshot",)

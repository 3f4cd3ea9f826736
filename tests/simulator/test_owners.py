"""Simulated releases play real owners, with their verbs' semantics (kubernetes-mechanics.md):
Argo Rollouts (promote step by step, abort, retry, undo to a chosen revision, the owner rule),
Flagger (its own analysis, stepping through the gates rolldeck answers), unmanaged (weights by hand,
a Service selector, ``kubectl rollout undo``). Everything goes through the operator, as in a drill."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rolldeck.engine.actions import Action, ActionKind
from rolldeck.engine.audit import AuditLog
from rolldeck.engine.model import Gate, Owner, Phase, ReleaseRef, Wait, WaitKind
from rolldeck.engine.operator import Operator
from rolldeck.simulator.backend import SimulatorBackend
from rolldeck.simulator.library import load_scenario
from rolldeck.simulator.scenario import ScenarioError, load_scenario_text

CHECKOUT = ReleaseRef("prod-eu-west-1", "checkout")


class Drill:
    """A paused simulator and an operator over it; ``act`` plans and executes like a drill action."""

    def __init__(self, scenario) -> None:
        self.backend = SimulatorBackend(scenario, paused=True)
        self.operator = Operator(self.backend, AuditLog(None, lambda: 0.0))

    def release(self, ref):
        return self.backend.snapshot().release(ref)

    def plan(self, kind: ActionKind, ref, **options):
        return self.operator.plan(Action(kind, ref, **options))

    async def act(self, kind: ActionKind, ref, **options) -> str:
        plan = self.plan(kind, ref, **options)
        assert plan.ok, plan.refusal
        outcome = await self.operator.execute(plan, actor="trainee")
        assert outcome.ok, outcome.message
        return plan.diff

    def run(self, until: float) -> None:
        self.backend.run_until(until)


class TestArgoRollouts:
    @pytest.mark.asyncio
    async def test_manual_weights_are_refused_and_step_up_promotes_step_by_step(self):
        drill = Drill(load_scenario("canary-5xx"))
        drill.run(10)
        release = drill.release(CHECKOUT)
        assert release.owner is Owner.ARGO_ROLLOUTS and release.step == 1  # setWeight 10 done, baking
        for kind, options in ((ActionKind.SET_WEIGHT, {"weight": 50}), (ActionKind.STEP_DOWN, {})):
            refusal = drill.plan(kind, CHECKOUT, **options).refusal
            assert refusal is not None and "owned by Argo Rollouts: manual weights are refused" in refusal
        assert (await drill.act(ActionKind.STEP_UP, CHECKOUT)).startswith("promote: skip step 1/7 → 2/7")
        drill.run(40)  # promote skipped the 10 m bake; setWeight 25 needs a 4th canary pod first
        release = drill.release(CHECKOUT)
        assert release.step == 3 and release.desired.weight("canary") == 25
        await drill.act(ActionKind.STEP_UP, CHECKOUT)
        drill.run(80)
        assert drill.release(CHECKOUT).desired.weight("canary") == 50

    @pytest.mark.asyncio
    async def test_abort_then_retry_restarts_from_the_first_step(self):
        drill = Drill(load_scenario("canary-5xx"))
        drill.run(10)
        await drill.act(ActionKind.ABORT, CHECKOUT)
        drill.run(20)
        aborted = drill.release(CHECKOUT)
        assert aborted.aborted and aborted.phase is Phase.DEGRADED and aborted.desired.weight("canary") == 0
        assert "retry or undo" in aborted.message
        assert "aborted: retry first, or undo" in drill.plan(ActionKind.STEP_UP, CHECKOUT).refusal  # Argo refuses promote while aborted
        await drill.act(ActionKind.RETRY, CHECKOUT)
        drill.run(30)
        retried = drill.release(CHECKOUT)
        assert not retried.aborted and retried.phase is Phase.PROGRESSING
        assert retried.step == 1 and retried.desired.weight("canary") == 10  # the first step again

    @pytest.mark.asyncio
    async def test_undo_to_a_chosen_revision_rolls_that_template_out_as_a_new_revision(self):
        drill = Drill(load_scenario("canary-5xx"))  # history v2.7.1, v2.7.2; stable v2.7.3; canary v2.8.0
        drill.run(300)  # v2.8.0 answers 3 % with 5xx from 4 m
        failing = drill.release(CHECKOUT).candidate
        assert failing.signals.errors / failing.signals.requests > 0.02
        release = drill.release(CHECKOUT)
        assert release.revisions == (1, 2, 3, 4) and release.candidate.revision == "v2.8.0"
        diff = await drill.act(ActionKind.UNDO, CHECKOUT, revision=2)
        assert diff.startswith("undo: roll the template back to revision 2 (now 4)")
        drill.run(301)
        undone = drill.release(CHECKOUT)
        assert undone.revisions == (1, 2, 3, 4, 5) and undone.candidate.revision == "v2.7.2"
        assert undone.step == 0 and undone.phase is Phase.PROGRESSING  # a new canary, from the first step
        # the bad template's fault went with it: v2.7.2 behaves like the stable it came from
        drill.run(700)
        canary = drill.release(CHECKOUT).candidate
        assert canary.signals.requests > 0 and canary.signals.errors / canary.signals.requests < 0.01

    @pytest.mark.asyncio
    async def test_undo_to_the_stable_revision_skips_the_steps(self):
        drill = Drill(load_scenario("canary-5xx"))
        drill.run(10)
        await drill.act(ActionKind.UNDO, CHECKOUT)  # the previous revision: stable's
        drill.run(20)
        back = drill.release(CHECKOUT)
        assert back.phase is Phase.HEALTHY and back.desired.weight("canary") == 0
        assert back.candidate.revision == "v2.7.3" and back.revisions[-1] == 5
        assert "steps skipped" in back.message

    @pytest.mark.asyncio
    async def test_resume_clears_spec_paused_only(self):
        drill = Drill(load_scenario("canary-5xx"))
        drill.run(10)
        await drill.act(ActionKind.PAUSE, CHECKOUT)
        drill.run(700)  # past the 10 m bake: a paused rollout does not move
        assert drill.release(CHECKOUT).step == 1
        await drill.act(ActionKind.RESUME, CHECKOUT)
        drill.run(701)
        assert drill.release(CHECKOUT).step == 2  # the bake was over: it continues at once


FLAGGER = textwrap.dedent(
    """\
    scenario: flagger-gates
    title: A Flagger canary behind every gate
    briefing: Answer the gates.
    seed: 7
    regions: {eu: {}}
    clusters: [{name: c1, region: eu}]
    releases:
      - name: podinfo
        cluster: c1
        strategy: canary
        owner: flagger
        rps: 200
        stable: {revision: v6.0, pods: 4}
        candidate: {revision: v6.1, pods: 2}
        flagger: {interval: 30s, step_weights: [10, 20], threshold: 2, gates: [GATES]}
    """
)
PODINFO = ReleaseRef("c1", "podinfo")
ALL_GATES = "confirm-rollout, confirm-traffic-increase, confirm-promotion, rollback"


def flagger(gates: str = ALL_GATES, extra: str = ""):
    return load_scenario_text(FLAGGER.replace("GATES", gates) + extra, "flagger.yaml")


class TestFlagger:
    @pytest.mark.asyncio
    async def test_it_steps_through_every_gate_rolldeck_answers(self):
        drill = Drill(flagger())
        drill.run(1)
        waiting = drill.release(PODINFO)
        assert waiting.wait == Wait.at_gate(Gate.CONFIRM_ROLLOUT) and waiting.phase is Phase.PAUSED
        assert (await drill.act(ActionKind.RESUME, PODINFO)).startswith("resume rollout: continues past the confirm-rollout")
        drill.run(70)  # the gate passes at the next check, then the first weight goes out
        assert drill.release(PODINFO).desired.weight("canary") == 10
        drill.run(100)  # a check passed: Flagger asks before each increase
        assert drill.release(PODINFO).wait == Wait.at_gate(Gate.CONFIRM_TRAFFIC_INCREASE)
        assert (await drill.act(ActionKind.STEP_UP, PODINFO)).startswith("approve the next traffic increase")
        drill.run(140)
        assert drill.release(PODINFO).desired.weight("canary") == 20
        drill.run(200)
        assert drill.release(PODINFO).wait == Wait.at_gate(Gate.CONFIRM_PROMOTION)
        assert "promote" in await drill.act(ActionKind.PROMOTE, PODINFO)
        drill.run(300)
        done = drill.release(PODINFO)
        assert done.phase is Phase.HEALTHY and done.stable.revision == "v6.1"

    @pytest.mark.asyncio
    async def test_failed_checks_roll_back_and_retry_analyses_again(self):
        bad = "    faults: [{at: 0s, type: error_rate, target: {release: podinfo}, params: {error_rate: 0.2}}]\n"
        drill = Drill(flagger("confirm-promotion, rollback", bad.replace("    faults", "faults")))
        drill.run(100)  # two failed checks at 30 s and 60 s: threshold 2
        failed = drill.release(PODINFO)
        assert failed.aborted and failed.phase is Phase.DEGRADED and failed.desired.weight("canary") == 0
        assert "failed checks" in failed.message
        await drill.act(ActionKind.RETRY, PODINFO)
        drill.run(101)
        assert not drill.release(PODINFO).aborted

    @pytest.mark.asyncio
    async def test_abort_is_the_rollback_gate_and_missing_gates_deny_their_verbs(self):
        drill = Drill(flagger("rollback"))
        drill.run(5)
        release = drill.release(PODINFO)
        assert "promote" in dict(release.denied) and "step-up" in dict(release.denied)
        assert "no confirm-promotion gate" in drill.plan(ActionKind.PROMOTE, PODINFO).refusal
        assert "owned by Flagger: manual weights are refused" in drill.plan(ActionKind.SET_WEIGHT, PODINFO, weight=50).refusal
        await drill.act(ActionKind.ABORT, PODINFO)
        drill.run(20)
        assert not drill.release(PODINFO).aborted  # the gate is open; Flagger rolls back at its next check
        drill.run(40)
        assert drill.release(PODINFO).aborted


class TestUnmanaged:
    @pytest.mark.asyncio
    async def test_weights_by_hand_and_kubectl_rollout_undo(self):
        drill = Drill(load_scenario("fleet-default"))
        payments = ReleaseRef("prod-eu-west-1", "payments")
        drill.run(5)
        release = drill.release(payments)
        assert release.owner is Owner.UNMANAGED and release.steps == () and release.wait is None
        assert (await drill.act(ActionKind.STEP_UP, payments)).startswith("canary 0% → 1%")
        drill.run(40)
        assert drill.release(payments).observed.weight("canary") == 1
        assert "no retry on plain Deployments" in drill.plan(ActionKind.RETRY, payments).refusal
        await drill.act(ActionKind.UNDO, payments)  # the canary Deployment back to the previous template
        drill.run(41)
        assert drill.release(payments).candidate.revision == "v5.0.4"

    def test_the_owner_must_be_able_to_play_the_release(self):
        with pytest.raises(ScenarioError) as caught:
            load_scenario_text(FLAGGER.replace("owner: flagger", "owner: unmanaged").replace("GATES", "rollback"), "x.yaml")
        (problem,) = caught.value.problems
        assert problem == "x.yaml:15:14: releases.0.flagger: only owner flagger has a Flagger analysis (owner is unmanaged)"


class TestArgoBlueGreen:
    @pytest.mark.asyncio
    async def test_undo_after_the_cutover_switches_straight_back_while_the_old_slot_is_up(self):
        drill = Drill(load_scenario("blue-green-cutover"))  # blue kept 5 m after the switch
        search = ReleaseRef("prod-us-east-1", "search")
        drill.run(120)
        waiting = drill.release(search)
        assert waiting.wait == Wait(WaitKind.PROMOTION, reason="BlueGreenPause") and waiting.active_slot == "blue"
        await drill.act(ActionKind.PROMOTE, search)
        drill.run(200)
        assert drill.release(search).active_slot == "green" and drill.release(search).revisions == (1, 2)
        await drill.act(ActionKind.UNDO, search, revision=1)
        drill.run(201)
        assert "switching straight back" in drill.release(search).message
        drill.run(230)
        back = drill.release(search)
        assert back.active_slot == "blue" and back.observed.weight("blue") == 100
        assert back.stable.revision == "v7.1.0" and back.revisions == (1, 2, 3) and back.phase is Phase.HEALTHY


UNMANAGED_BLUE_GREEN = textwrap.dedent(
    """\
    scenario: selector-switch
    title: Two Deployments behind one Service
    briefing: Switch the selector by hand.
    seed: 3
    regions: {eu: {}}
    clusters: [{name: c1, region: eu}]
    releases:
      - name: web
        cluster: c1
        strategy: blue-green
        owner: unmanaged
        rps: 100
        readiness_delay: 10s
        stable: {revision: v1, pods: 2}
        candidate: {revision: v2, pods: 2}
    """
)


class TestUnmanagedBlueGreenAndRolling:
    @pytest.mark.asyncio
    async def test_a_ready_preview_waits_for_a_selector_switch_by_hand(self):
        drill = Drill(load_scenario_text(UNMANAGED_BLUE_GREEN, "bg.yaml"))
        web = ReleaseRef("c1", "web")
        drill.run(60)
        ready = drill.release(web)
        assert ready.owner is Owner.UNMANAGED and ready.wait is None and ready.active_slot == "blue"
        assert "switch the Service when you are" in ready.message
        await drill.act(ActionKind.SWITCH_SLOT, web, slot="green")
        drill.run(80)
        switched = drill.release(web)
        assert switched.active_slot == "green" and switched.observed.weight("green") == 100
        await drill.act(ActionKind.SWITCH_SLOT, web, slot="blue")  # the selector back: blue is still up
        drill.run(100)
        assert drill.release(web).observed.weight("blue") == 100

    @pytest.mark.asyncio
    async def test_rollout_undo_rolls_a_stalled_deployment_back(self):
        drill = Drill(load_scenario("rolling-crash-loop"))
        orders = ReleaseRef("prod-us-east-1", "orders")
        drill.run(120)
        stalled = drill.release(orders)
        assert stalled.owner is Owner.UNMANAGED and stalled.revisions == (1, 2) and stalled.candidate.replicas.ready == 0
        assert (await drill.act(ActionKind.UNDO, orders)).startswith("undo: roll the template back to revision 1 (now 2)")
        drill.run(400)
        back = drill.release(orders)
        assert back.revisions == (1, 2, 3) and back.candidate.replicas.desired == 0
        assert back.stable.replicas.ready == 8 and back.observed.weight(back.stable.name) == 100


@pytest.mark.parametrize(
    ("owner", "problem"),
    [
        ("simulator", "releases.0.owner: Input should be 'argo-rollouts', 'flagger' or 'unmanaged'"),
        ("argo-rollouts", "releases.0.owner: a rolling update is a plain Deployment: owner unmanaged, not argo-rollouts"),
    ],
)
def test_check_refuses_an_owner_that_cannot_play_the_release(owner, problem):
    text = (Path(__file__).parents[2] / "scenarios" / "rolling-crash-loop.yaml").read_text()
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text.replace("owner: unmanaged", f"owner: {owner}"), "x.yaml")
    (found,) = caught.value.problems
    assert found.startswith("x.yaml:19:12: ") and problem in found

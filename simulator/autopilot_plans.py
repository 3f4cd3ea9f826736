"""Turn a scenario's ``autopilot:`` section into the engine's rollout plans and judge settings."""

from __future__ import annotations

from rolldeck.engine.judge import JudgeConfig
from rolldeck.engine.model import Strategy
from rolldeck.engine.rollout_plans import BlueGreenPlan, CanaryPlan, CanaryStepPlan, FlagPlan, FlagStepPlan, RegionPhase, RolloutPlan
from rolldeck.simulator.scenario import Scenario


def rollout_plans(scenario: Scenario) -> list[RolloutPlan]:
    if scenario.autopilot is None:
        return []
    strategies = {r.name: r.strategy for r in scenario.releases}
    plans = []
    for spec in scenario.autopilot.plans:
        phases = tuple(RegionPhase(tuple(p.clusters), p.soak) for p in spec.phases)
        plan: CanaryPlan | BlueGreenPlan | FlagPlan
        if spec.flag is not None:
            plan = FlagPlan(spec.flag, tuple(FlagStepPlan(s.share, s.bake, s.analysis) for s in spec.flag_steps), spec.max_bake)
        elif strategies[spec.release] is Strategy.CANARY:
            steps = tuple(CanaryStepPlan(s.weight, s.bake, s.analysis, s.approval) for s in spec.steps)
            plan = CanaryPlan(steps, spec.max_bake)
        else:
            plan = BlueGreenPlan(watch_s=spec.watch)
        plans.append(RolloutPlan(spec.release, plan, phases))
    return plans


def judge_config(scenario: Scenario) -> JudgeConfig:
    spec = scenario.autopilot.judge if scenario.autopilot else None
    managed = {p.release for p in scenario.autopilot.plans} if scenario.autopilot else set()
    slo = next((r.slo for r in scenario.releases if r.name in managed), scenario.releases[0].slo)
    base = JudgeConfig(
        error_budget=round(1.0 - slo.success, 9),
        slow_budget=0.01,
        latency_label=f"{slo.latency_threshold_s * 1000:.0f} ms",
    )
    if spec is None:
        return base
    return JudgeConfig(
        error_budget=base.error_budget,
        slow_budget=base.slow_budget,
        latency_label=base.latency_label,
        n_min_errors=spec.n_min_errors,
        n_min_slow=spec.n_min_slow,
        alpha=spec.alpha,
        interval_s=spec.interval,
        min_intervals=spec.min_intervals,
        budget_tolerance=spec.budget_tolerance,
        ratio_errors=spec.ratio_errors,
        ratio_slow=spec.ratio_slow,
        consecutive_error_limit=spec.consecutive_error_limit,
    )

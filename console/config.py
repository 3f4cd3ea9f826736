"""The console's own config file: where it lives, what it may say, and one-line errors when it is wrong.

``$ROLLDECK_CONFIG`` wins; otherwise ``$XDG_CONFIG_HOME/rolldeck/config.yaml`` (``~/.config`` when
unset). A missing file means defaults. Unknown keys are errors, so a typo (``protcted:``) never
silently turns a safety feature off.
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from rolldeck.engine import documents
from rolldeck.engine.documents import DocumentError, Problem
from rolldeck.engine.judge import JudgeConfig

CONFIG_ENV = "ROLLDECK_CONFIG"


class _Strict(BaseModel):
    model_config = documents.MODEL_CONFIG  # strict types, finite floats, no unknown keys


class SloDefaults(_Strict):
    """The judge's SLO when nothing more specific (a scenario's own SLO) is known."""

    success: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.99
    latency_ms: Annotated[float, Field(gt=0)] = 500.0
    slow_budget: Annotated[float, Field(gt=0, lt=0.5)] = 0.01  # share allowed above latency_ms
    n_min: Annotated[int, Field(ge=1)] = 1000  # canary requests before a Pass is possible

    def judge_config(self) -> JudgeConfig:
        return JudgeConfig(
            error_budget=round(1.0 - self.success, 9),
            slow_budget=self.slow_budget,
            n_min_errors=self.n_min,
            n_min_slow=self.n_min,
            latency_label=f"{self.latency_ms:g} ms",
        )


class MetricsRuleConfig(_Strict):
    """What to query for a release: a template set and per-version label selectors with placeholders
    {name} {namespace} {cluster} {version} {revision} (see engine/kube/metrics_targets.py)."""

    templates: Literal["istio", "app"] = "istio"
    selector: dict[str, str] | None = None  # None: the template set's default (Istio canonical labels / app+version)
    window_s: Annotated[float, Field(gt=0)] = 60.0
    params: dict[str, str] = {}


class MetricsConfig(_Strict):
    """Where live releases get their signals. Credentials never live in this file: name an env var."""

    prometheus: str | None = None  # e.g. http://127.0.0.1:9090; none: live releases show "no data"
    token_env: str | None = None  # environment variable holding a bearer token for Prometheus
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 5.0
    default: MetricsRuleConfig = MetricsRuleConfig()
    releases: dict[str, MetricsRuleConfig] = {}  # keyed "cluster/name" or "name"


class ConsoleConfig(_Strict):
    # kubeconfig context (or simulated cluster) → region, for clusters whose region is not known
    regions: dict[str, str] = {}
    # glob patterns (fnmatch, case-sensitive): matching contexts get the PROD skin and typed confirmation
    protected: list[str] = ["prod-*", "*-prod", "*-prod-*"]
    read_only: list[str] = []  # glob patterns of contexts where every mutating verb is refused
    slo: SloDefaults = SloDefaults()
    weight_steps: list[Annotated[int, Field(ge=0, le=100)]] | None = None  # for releases with the default steps
    keys: dict[str, str] = {}  # Binding id → keys, e.g. {"step-up": "right_square_bracket,plus"}
    theme: str = "textual-dark"
    # a cluster whose data is not confirmed (list, event, bookmark) for this long is stale: bookmarks
    # come about once a minute on a quiet watch, so less than ~60 s would flag every quiet cluster
    stale_after_s: Annotated[float, Field(gt=0)] = 90.0
    stuck_after_s: Annotated[float, Field(gt=0)] = 120.0  # a split lagging this long is a stuck rollout
    metrics: MetricsConfig = MetricsConfig()
    # Where the palette's Screenshot saves SVGs (~ expanded, created when missing); None: the
    # directory rolldeck was started in — a folder that exists, unlike ~/Downloads on a server.
    screenshot_dir: str | None = None

    @field_validator("weight_steps")
    @classmethod
    def _increasing(cls, steps: list[int] | None) -> list[int] | None:
        if steps is not None and steps != sorted(set(steps)):
            raise ValueError("weight steps must be strictly increasing")
        return steps

    def is_protected(self, context: str) -> bool:
        return any(fnmatchcase(context, pattern) for pattern in self.protected)

    def is_read_only(self, context: str) -> bool:
        return any(fnmatchcase(context, pattern) for pattern in self.read_only)

    def region_of(self, context: str, fallback: str) -> str:
        return self.regions.get(context, fallback)

    def judge_config(self) -> JudgeConfig:
        return self.slo.judge_config()

    def screenshot_folder(self) -> Path:
        return Path(self.screenshot_dir).expanduser() if self.screenshot_dir else Path.cwd()


class ConfigError(DocumentError):
    """An invalid config; ``problems`` are ``file:line:col: message`` lines, the first one shown."""


def config_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "rolldeck" / "config.yaml"


# A caller's own checks on a config that parsed, located like the rest: the composition root passes
# what ``live`` refuses (engine.metrics' URL rules, unset variables), which this module may not import.
ConfigChecks = Callable[[ConsoleConfig], list[Problem]]


def load_config(path: Path, checks: ConfigChecks | None = None) -> ConsoleConfig:
    """Defaults when the file is missing; ConfigError (with positions) when it is wrong."""
    if not path.exists():
        return ConsoleConfig()  # the defaults name no Prometheus: nothing for ``checks`` to refuse
    return parse_config(documents.read(path, error=ConfigError), str(path), checks)


def parse_config(text: str, source: str, checks: ConfigChecks | None = None) -> ConsoleConfig:
    document = documents.parse(text, source, error=ConfigError)
    if document.data is None:
        return ConsoleConfig()  # an empty file is a valid "all defaults"
    if not isinstance(document.data, dict):
        document.fail([Problem((), "the config must be a mapping of keys to values")])
    config = document.validate(ConsoleConfig)
    document.check(_cross_checks(config) + (checks(config) if checks is not None else []))
    return config


def _cross_checks(config: ConsoleConfig) -> list[Problem]:
    """Names pydantic cannot check by type: binding ids and themes (both come from Textual)."""
    from textual.theme import BUILTIN_THEMES

    from rolldeck.console.catalogue import BINDING_IDS

    problems: list[Problem] = []
    for binding_id, keys in config.keys.items():
        if binding_id not in BINDING_IDS:
            known = ", ".join(sorted(BINDING_IDS))
            problems.append(Problem(("keys", binding_id), f"keys.{binding_id}: unknown binding id (known: {known})", at_key=True))
        elif any(not key.strip() for key in keys.split(",")):
            problems.append(Problem(("keys", binding_id), f"keys.{binding_id}: keys must be comma-separated key names"))
    if config.theme not in BUILTIN_THEMES:
        known = ", ".join(sorted(BUILTIN_THEMES))
        problems.append(Problem(("theme",), f"theme: unknown theme {config.theme!r} (known: {known})"))
    return problems

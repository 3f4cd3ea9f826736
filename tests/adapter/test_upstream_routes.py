"""Flagger, Istio and Gateway API objects from their own repositories (tests/upstream), mapped by
rolldeck: what the route or the Canary says, in rolldeck's terms. One test per (scene, field), so
each thing rolldeck reads wrong fails on its own; the scene's release list proves nothing is invented.

Expectations follow each project's documented semantics: Istio evaluates ``http`` rules in order and
an absent ``mirrorPercentage`` mirrors 100 % (tests/integration/pilot/mirror_test.go); Gateway API
``backendRefs`` weights are relative and a rule's ``matches`` are ORed (a match's fields ANDed);
Flagger's A/B routes send the ``analysis.match`` cohort to the canary (pkg/router/istio.go,
gateway_api.go), ``iterations`` without ``match`` is blue/green, ``stepWeight`` a canary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from rolldeck.engine.kube.mapping import map_cluster, unmapped_objects
from rolldeck.engine.model import ReleaseState
from tests.adapter.upstream import objects

BOOKINFO = "istio/bookinfo-reviews.yaml"
MIRROR_BACKENDS = "istio/mirroring-backends.yaml"
FOO = "gateway-api/foo-backends.yaml"


@dataclass(frozen=True)
class Scene:
    id: str
    files: tuple[str, ...]
    releases: set[str]  # never invent a release: exactly these
    expect: dict[str, dict[str, Any]] = field(default_factory=dict)  # release → field → value
    unmapped: set[tuple[str, str]] | None = None  # (kind, name) listed read-only, when the scene has some


def flagger(strategy: str, desired: dict[str, int], router: str, **more: Any) -> dict[str, Any]:
    base = {"owner": "flagger", "strategy": strategy, "desired": desired, "router": router,
            "versions": [("primary", "6.0.0", "stable"), ("canary", "6.0.1", "candidate")]}
    return {**base, "cohorts": (), "mirrors": (), **more}


SCENES = [
    # --- Flagger --------------------------------------------------------------------------------------
    Scene("flagger/istio-canary", ("flagger/istio-canary.yaml",), {"podinfo"}, {"podinfo": flagger(
        "canary", {"primary": 80, "canary": 20}, "VirtualService", phase="Progressing", step="2/3", message_has="failed checks 1/15")}),
    Scene("flagger/istio-ab-testing", ("flagger/istio-ab-testing.yaml",), {"podinfo"}, {"podinfo": flagger(
        "a/b", {"primary": 100, "canary": 0}, "VirtualService", phase="Progressing", step="3/10",
        cohorts=("header user-agent~.*Firefox.* or cookie type=insider → canary 100%",))}),
    Scene("flagger/istio-mirroring", ("flagger/istio-mirroring.yaml",), {"podinfo"}, {"podinfo": flagger(
        "blue-green", {"primary": 100, "canary": 0}, "VirtualService", phase="Progressing", step="2/10",
        mirrors=(("canary", 100.0),))}),
    Scene("flagger/istio-skip-analysis", ("flagger/istio-skip-analysis.yaml",), {"podinfo"}, {"podinfo": {
        "owner": "flagger", "phase": "Healthy", "message_has": "skip analysis",
        "versions": [("primary", "6.0.1", "stable"), ("canary", "6.0.1", "candidate")]}}),
    Scene("flagger/gatewayapi-canary", ("flagger/gatewayapi-canary.yaml",), {"podinfo"}, {"podinfo": flagger(
        "canary", {"primary": 90, "canary": 10}, "HTTPRoute", phase="Progressing", step="1/5")}),
    Scene("flagger/gatewayapi-ab", ("flagger/gatewayapi-ab.yaml",), {"podinfo"}, {"podinfo": flagger(
        "a/b", {"primary": 100, "canary": 0}, "HTTPRoute", phase="Progressing", step="4/10",
        cohorts=("header x-canary=insider → canary 100%",))}),
    Scene("flagger/gatewayapi-bg", ("flagger/gatewayapi-bg.yaml",), {"podinfo"}, {"podinfo": flagger(
        "blue-green", {"primary": 100, "canary": 0}, "HTTPRoute", phase="Progressing", step="2/5")}),
    Scene("flagger/kubernetes-blue-green", ("flagger/kubernetes-blue-green.yaml",), {"podinfo"}, {"podinfo": flagger(
        "blue-green", {"primary": 100, "canary": 0}, "Service", phase="Progressing", step="6/10", message_has="Progressing")}),
    # --- Istio bookinfo (samples/bookinfo/networking) -------------------------------------------------
    Scene("istio/reviews-50-v3", ("istio/virtual-service-reviews-50-v3.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "owner": "unmanaged", "strategy": "canary", "router": "VirtualService", "phase": "Progressing",
        "desired": {"v1": 50, "v3": 50, "v2": 0}, "cohorts": (), "mirrors": (),
        "versions": [("v1", "1.20.3", "stable"), ("v3", "1.20.3", "candidate"), ("v2", "1.20.3", "previous")]}}),
    Scene("istio/reviews-90-10", ("istio/virtual-service-reviews-90-10.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "strategy": "canary", "desired": {"v1": 90, "v2": 10, "v3": 0}, "cohorts": ()}}),
    Scene("istio/reviews-v3", ("istio/virtual-service-reviews-v3.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "strategy": "canary", "phase": "Healthy", "desired": {"v3": 100, "v1": 0, "v2": 0}, "cohorts": (),
        "versions": [("v3", "1.20.3", "stable"), ("v1", "1.20.3", "previous"), ("v2", "1.20.3", "previous")]}}),
    Scene("istio/reviews-jason-v2-v3", ("istio/virtual-service-reviews-jason-v2-v3.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "owner": "unmanaged", "strategy": "a/b", "router": "VirtualService", "phase": "Progressing",
        "desired": {"v3": 100, "v2": 0, "v1": 0}, "cohorts": ("header end-user=jason → v2 100%",), "mirrors": (),
        "versions": [("v3", "1.20.3", "stable"), ("v2", "1.20.3", "candidate"), ("v1", "1.20.3", "previous")]}}),
    Scene("istio/reviews-test-v2", ("istio/virtual-service-reviews-test-v2.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "strategy": "a/b", "desired": {"v1": 100, "v2": 0, "v3": 0}, "cohorts": ("header end-user=jason → v2 100%",)}}),
    # --- Istio mirroring (tests/integration/pilot/testdata/traffic-mirroring-template.yaml) -------------
    *[
        Scene(f"istio/mirror-{suffix}", (f"istio/traffic-mirroring-{suffix}.yaml", MIRROR_BACKENDS), {name}, {name: {
            "owner": "unmanaged", "strategy": "canary", "router": "VirtualService", "phase": "Progressing",
            "desired": {"b": 100, "c": 0}, "cohorts": (), "mirrors": (("c", percent),),
            "versions": [("b", "1.0.0", "stable"), ("c", "1.0.0", "candidate")]}})
        for suffix, name, percent in [
            ("absent", "mirror-percent-absent", 100.0),
            ("50", "mirror-50", 50.0),
            ("half", "mirror-half", 0.5),
            ("legacy-mirrorPercent", "mirror-legacy", 25.0),
            ("legacy-mirror_percent", "mirror-legacy-snake", 30.0),
        ]
    ],
    # --- Gateway API examples (examples/standard) ------------------------------------------------------
    Scene("gateway-api/simple-split", ("gateway-api/simple-split.yaml", FOO), {"simple-split"}, {"simple-split": {
        "owner": "unmanaged", "strategy": "canary", "router": "HTTPRoute", "phase": "Progressing",
        "desired": {"foo-v1": 90, "foo-v2": 10}, "cohorts": (), "mirrors": (),
        "versions": [("foo-v1", "1.0.0", "stable"), ("foo-v2", "2.0.0", "candidate")]}}),
    Scene("gateway-api/traffic-split-1", ("gateway-api/traffic-split-1.yaml", FOO), {"foo-route"}, {"foo-route": {
        "owner": "unmanaged", "strategy": "a/b", "router": "HTTPRoute", "phase": "Progressing",
        "desired": {"foo-v1": 100, "foo-v2": 0}, "cohorts": ("header traffic=test → foo-v2 100%",), "mirrors": (),
        "versions": [("foo-v1", "1.0.0", "stable"), ("foo-v2", "2.0.0", "candidate")]}}),
    Scene("gateway-api/traffic-split-2", ("gateway-api/traffic-split-2.yaml", FOO), {"foo-route"}, {"foo-route": {
        "strategy": "canary", "desired": {"foo-v1": 90, "foo-v2": 10}, "cohorts": ()}}),
    Scene("gateway-api/traffic-split-3", ("gateway-api/traffic-split-3.yaml", FOO), {"foo-route"}, {"foo-route": {
        "strategy": "canary", "desired": {"foo-v1": 0, "foo-v2": 100}, "phase": "Healthy"}}),
    Scene("gateway-api/httproute-mirroring", ("gateway-api/httproute-mirroring.yaml", FOO), {"http-filter-mirror"}, {"http-filter-mirror": {
        "owner": "unmanaged", "strategy": "canary", "router": "HTTPRoute", "phase": "Progressing",
        "desired": {"foo-v1": 100, "foo-v2": 0}, "cohorts": (), "mirrors": (("foo-v2", 100.0),),
        "versions": [("foo-v1", "1.0.0", "stable"), ("foo-v2", "2.0.0", "candidate")]}}),
    Scene("gateway-api/bar-httproute", ("gateway-api/bar-httproute.yaml", "gateway-api/bar-backends.yaml"), {"bar-route"}, {"bar-route": {
        "owner": "unmanaged", "strategy": "a/b", "router": "HTTPRoute",
        "desired": {"bar-svc": 100, "bar-svc-canary": 0}, "cohorts": ("header env=canary → bar-svc-canary 100%",),
        "versions": [("bar-svc", "1.4.0", "stable"), ("bar-svc-canary", "1.5.0", "candidate")]}}),
    Scene("gateway-api/bookinfo-reviews-90-10", ("gateway-api/bookinfo-route-reviews-90-10.yaml", BOOKINFO), {"reviews"}, {"reviews": {
        "owner": "unmanaged", "strategy": "canary", "router": "HTTPRoute",
        "desired": {"reviews-v1": 90, "reviews-v2": 10, "reviews-v3": 0},
        "versions": [("reviews-v1", "1.20.3", "stable"), ("reviews-v2", "1.20.3", "candidate"), ("reviews-v3", "1.20.3", "previous")]}}),
    # --- shapes rolldeck does not map: read-only, listed, never a release -------------------------------
    Scene("gateway-api/redirect-only", ("gateway-api/httproute-redirect-http.yaml",), set(),
          unmapped={("HTTPRoute", "http-filter-redirect")}),
    Scene("gateway-api/per-version-services-without-a-route", (FOO,), {"foo-v1", "foo-v2"},
          {"foo-v1": {"strategy": "rolling"}, "foo-v2": {"strategy": "rolling"}},
          unmapped={("Service", "foo-v1"), ("Service", "foo-v2")}),
]

def observed(release: ReleaseState, name: str) -> Any:
    if name in ("owner", "strategy", "phase"):
        return getattr(release, name).value
    if name == "desired":
        return release.desired.as_dict()
    if name == "router":
        return str(release.router)
    if name == "step":
        return f"{release.step}/{release.step_count}" if release.step is not None and release.step_count else ""
    if name == "versions":
        return [(v.name, v.revision.split(" (rev ")[0], v.role.value) for v in release.versions]
    if name == "cohorts":
        return tuple(c.describe() for c in release.rules.cohorts)
    if name == "mirrors":
        return tuple((m.version, m.percent) for m in release.rules.mirrors)
    if name == "message_has":
        return release.message
    raise KeyError(name)


def _map(scene: Scene):
    return map_cluster(objects(*scene.files), cluster="c", region="r")


def _field_params():
    for scene in SCENES:
        for release, fields in scene.expect.items():
            for name, value in fields.items():
                yield pytest.param(scene, release, name, value, id=f"{scene.id}/{release}/{name}")


@pytest.mark.parametrize(("scene", "release_name", "name", "expected"), list(_field_params()))
def test_field(scene: Scene, release_name: str, name: str, expected: Any) -> None:
    found = {d.release.name: d.release for d in _map(scene)}
    assert release_name in found, f"no release {release_name} in {sorted(found)}"
    value = observed(found[release_name], name)
    if name == "message_has":
        assert expected in value
    else:
        assert value == expected


@pytest.mark.parametrize("scene", [pytest.param(s, id=s.id) for s in SCENES])
def test_never_invent_a_release(scene: Scene) -> None:
    assert {d.release.name for d in _map(scene)} == scene.releases


@pytest.mark.parametrize(
    "scene", [pytest.param(s, id=s.id) for s in SCENES if s.unmapped is not None]
)
def test_unknown_shapes_are_listed_read_only(scene: Scene) -> None:
    assert {(u.kind, u.name) for u in unmapped_objects(objects(*scene.files))} == scene.unmapped

"""Scope never hides an emergency: the attention queue split into what a view shows and what is outside it.

A ``:ctx`` / ``:ns`` scope or a ``/`` filter narrows what a view lists, never what the operator is
told: every item that needs a human but is outside the view is counted ("+1 degraded outside this
view — press w to widen"), and one key (``widen``) brings everything back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rolldeck.console.attention import AttentionItem
from rolldeck.console.catalogue import COMMANDS_BY_ID, KEY_GLYPHS
from rolldeck.console.frames.frame import AttentionView, ViewScope, Where
from rolldeck.console.navigation import CommandError, RowFilter, compile_filter
from rolldeck.engine.model import ClusterState, FleetState

WIDEN = "widen"  # the catalogue id of the key that clears the scope and the filter


def attention_text(item: AttentionItem) -> str:
    """What a ``/`` filter matches an attention row against."""
    return " ".join((item.kind, item.release.name if item.release else "", item.cluster, item.region, item.detail))


def cluster_text(cluster: ClusterState, region: str) -> str:
    """What a ``/`` filter matches a clusters-view row against."""
    return " ".join((cluster.name, region, cluster.health.error, *cluster.health.controllers, *cluster.health.warnings))


def widen_key(keys: dict[str, str]) -> str:
    """The widen key as typed, after the config's remapping (its first key)."""
    first = keys.get(WIDEN, COMMANDS_BY_ID[WIDEN].keys).split(",")[0].strip()
    return KEY_GLYPHS.get(first, first)


def scoped_attention(
    items: Sequence[AttentionItem],
    state: FleetState,
    where: Where,
    scope: ViewScope,
    filter_text: str,
    region_of: Callable[[str, str], str],
    key: str = "w",
) -> AttentionView:
    """Split ``items`` into shown and outside for a view: by the scope, then by the view's filter
    (the fleet filters attention rows, the clusters view its cluster rows)."""
    row_filter = _filter(filter_text)
    shown: list[AttentionItem] = []
    outside: list[AttentionItem] = []
    for item in items:
        (shown if _in_view(item, state, where, scope, row_filter, region_of) else outside).append(item)
    return AttentionView(tuple(shown), tuple(outside), key)


def _filter(text: str) -> RowFilter | None:
    try:
        return compile_filter(text)
    except CommandError:
        return None  # the screens keep only filters that compiled; a bad one hides nothing


def _in_view(
    item: AttentionItem,
    state: FleetState,
    where: Where,
    scope: ViewScope,
    row_filter: RowFilter | None,
    region_of: Callable[[str, str], str],
) -> bool:
    if item.release is not None:
        release = state.release(item.release)
        if release is not None and not scope.admits(release):
            return False
    if not scope.admits_cluster(item.cluster):
        return False
    if row_filter is None:
        return True
    if where is Where.CLUSTERS:
        cluster = state.cluster(item.cluster)
        return cluster is not None and row_filter.matches(cluster_text(cluster, region_of(cluster.name, cluster.region)))
    if where is Where.FLEET:
        return row_filter.matches(attention_text(item))
    return True  # the release and audit views filter no attention


__all__ = ["WIDEN", "attention_text", "cluster_text", "scoped_attention", "widen_key"]

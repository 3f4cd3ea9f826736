"""What splits a release's traffic, and what rolldeck may therefore do to it.

Decisions ask the router's capabilities (``supports_weights``, ``supports_mirror``…), never its name:
a new router is one member here, not a string compared in five places.
"""

from __future__ import annotations

from enum import StrEnum


class Router(StrEnum):
    VIRTUAL_SERVICE = "VirtualService"  # Istio: integer percentages per destination
    HTTP_ROUTE = "HTTPRoute"  # Gateway API: relative backendRef weights
    SERVICE = "Service"  # blue-green by a Service selector: one slot at a time
    SMI = "TrafficSplit"  # SMI (Linkerd, OSM): relative backend weights
    OTHER = "other"  # an ingress or mesh rolldeck reads but does not edit (NGINX, ALB, Traefik…)
    NONE = "none"  # nothing splits traffic: the split follows Ready pods (plain Deployments)

    @property
    def supports_weights(self) -> bool:
        """A weighted split rolldeck can write (on an unmanaged route: manual weights)."""
        return self in (Router.VIRTUAL_SERVICE, Router.HTTP_ROUTE, Router.SMI)

    @property
    def relative_weights(self) -> bool:
        """Weights are shares of their sum, not percentages: shown as percentages, written as given."""
        return self in (Router.HTTP_ROUTE, Router.SMI)

    @property
    def supports_mirror(self) -> bool:
        """rolldeck writes mirrors on Istio only (``mirror`` + ``mirrorPercentage``); Gateway API's
        RequestMirror filter and Flagger's mirroring are read, not written."""
        return self is Router.VIRTUAL_SERVICE

    @property
    def selects_slot(self) -> bool:
        """All traffic to one slot by a label selector (blue-green)."""
        return self is Router.SERVICE

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Router.VIRTUAL_SERVICE: "Istio VirtualService",
    Router.HTTP_ROUTE: "Gateway API HTTPRoute",
    Router.SERVICE: "Service selector",
    Router.SMI: "SMI TrafficSplit",
    Router.OTHER: "other (read only)",
    Router.NONE: "none (Ready pods)",
}

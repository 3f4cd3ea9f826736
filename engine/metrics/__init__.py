"""Request signals from a metrics store: the ``SignalsSource`` port and its Prometheus adapter.

``source`` defines the port (``SignalsSource``, ``MetricsTarget``, ``MetricsError``), ``templates`` the
PromQL query sets (``istio``, ``app``), ``parse`` the API answer decoding, ``prometheus`` the httpx
adapter, ``cohorts`` the query shape for a flag's cohorts. Imports httpx only: no textual, simpy or kubernetes_asyncio (engine core rule).
"""

from rolldeck.engine.metrics.cohorts import FLAG_KEY_LABEL, FLAG_VARIANT_LABEL, cohort_target
from rolldeck.engine.metrics.prometheus import BasicAuth, BearerToken, PrometheusSource, prometheus_endpoint
from rolldeck.engine.metrics.source import ErrorKind, MetricsError, MetricsTarget, SignalsSource
from rolldeck.engine.metrics.templates import APP, ISTIO, TEMPLATE_SETS, Matcher, QueryKind, TemplateSet

__all__ = [
    "APP",
    "FLAG_KEY_LABEL",
    "FLAG_VARIANT_LABEL",
    "ISTIO",
    "TEMPLATE_SETS",
    "BasicAuth",
    "BearerToken",
    "ErrorKind",
    "Matcher",
    "MetricsError",
    "MetricsTarget",
    "PrometheusSource",
    "QueryKind",
    "SignalsSource",
    "TemplateSet",
    "cohort_target",
    "prometheus_endpoint",
]

"""The Kubernetes adapter: the engine's Backend port over real clusters (kubeconfig contexts).

Layers inside, bottom up: ``kubeconfig`` (contexts, credentials) → ``clients`` (one ApiClient pair per
context) → ``reflector`` (list+watch caches per kind) → ``mapping`` (pure functions from cached
objects to ``ReleaseState``) → ``verbs`` (pure request builders) → ``backend`` (the port).
Only this package imports kubernetes_asyncio; the engine core never does.
"""



from rolldeck.engine.kube.backend import KubeBackend
from rolldeck.engine.kube.kubeconfig import KubeconfigError

__all__ = ["KubeBackend", "KubeconfigError"]

"""rolldeck's shared engine.

The core modules (everything in this package except ``engine.kube``) import no textual, simpy or
kubernetes_asyncio: they hold the fleet model, actions and plans, the operator (the one mutation
path), the audit log and the Backend port that the simulator and the Kubernetes adapter implement.
"""

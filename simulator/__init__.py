"""The SimPy rehearsal world: a fluid data plane per tick and a discrete control plane.

Implements the engine's Backend port (``simulator.backend``). Never imports the console.
"""

"""A per-request SimPy model of random load balancing over per-pod FCFS queues: the accuracy oracle
for the fluid data plane (tests/simulator/test_accuracy.py, bench/sim_accuracy.py)."""

from tests.oracle.model import OracleResult, ServiceLaw, simulate

__all__ = ["OracleResult", "ServiceLaw", "simulate"]

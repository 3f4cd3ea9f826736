"""In-process fake Kubernetes API server for the test suite (see README.md)."""

from .auth import FULL_ACCESS, READ_ONLY, Allow
from .cluster import ClusterSpec, FakeCluster, FakeFleet
from .errors import ApiError
from .requestlog import RequestRecord
from .resources import ALL_CRDS, ResourceType

__all__ = ["ALL_CRDS", "FULL_ACCESS", "READ_ONLY", "Allow", "ApiError", "ClusterSpec", "FakeCluster",
           "FakeFleet", "RequestRecord", "ResourceType"]

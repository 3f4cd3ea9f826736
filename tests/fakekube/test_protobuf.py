"""The protobuf review decoder, on the exact bytes `kubectl auth can-i patch rollouts` (v1.33.1) sent."""

from __future__ import annotations

import pytest

from tests.fakekube.errors import ApiError
from tests.fakekube.protobuf import decode_review

KUBECTL_SSAR = (
    b"k8s\x00\n2\n\x17authorization.k8s.io/v1\x12\x17SelfSubjectAccessReview\x12M\n\x10\n\x00\x12\x00\x1a\x00"
    b'"\x00*\x002\x008\x00B\x00\x12/\n-\n\x07default\x12\x05patch\x1a\x0bargoproj.io"\x00*\x08rollouts2\x00'
    b":\x00\x1a\x08\x08\x00\x12\x00\x1a\x00 \x00\x1a\x00\"\x00"
)


def test_decodes_kubectls_access_review() -> None:
    review = decode_review(KUBECTL_SSAR)
    assert review["kind"] == "SelfSubjectAccessReview"
    assert review["spec"]["resourceAttributes"] == {"namespace": "default", "verb": "patch", "group": "argoproj.io",
                                                    "version": "", "resource": "rollouts", "subresource": "",
                                                    "name": ""}


def test_garbage_is_400() -> None:
    with pytest.raises(ApiError) as err:
        decode_review(b"not protobuf")
    assert err.value.code == 400

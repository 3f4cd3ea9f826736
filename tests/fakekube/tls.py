"""Throwaway certificates (trustme): a server cert for 127.0.0.1 and, for mTLS, a client cert."""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass
from functools import lru_cache

import trustme


@lru_cache(maxsize=1)
def shared_ca() -> trustme.CA:
    """One CA per test process: issuing is cheap, generating CA keys is not."""
    return trustme.CA()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class TlsMaterial:
    server_context: ssl.SSLContext
    ca_pem: bytes
    client_cert_pem: bytes | None = None  # certificate chain
    client_key_pem: bytes | None = None

    def kubeconfig_cluster_fields(self) -> dict[str, str]:
        return {"certificate-authority-data": _b64(self.ca_pem)}

    def kubeconfig_user_fields(self) -> dict[str, str]:
        if self.client_cert_pem is None or self.client_key_pem is None:
            return {}
        return {"client-certificate-data": _b64(self.client_cert_pem),
                "client-key-data": _b64(self.client_key_pem)}

    def client_context(self) -> ssl.SSLContext:
        """An SSL context trusting the CA (plus the client cert under mTLS) for raw aiohttp tests."""
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
        if self.client_cert_pem is not None:
            cert = shared_ca().issue_cert("fakekube-raw-client")
            cert.configure_cert(ctx)
        return ctx


def make_tls(*, mtls: bool = False, ca: trustme.CA | None = None) -> TlsMaterial:
    ca = ca or shared_ca()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    material = TlsMaterial(ctx, ca.cert_pem.bytes())
    if mtls:
        ca.configure_trust(ctx)
        ctx.verify_mode = ssl.CERT_REQUIRED
        client = ca.issue_cert("rolldeck-test-user")
        material.client_cert_pem = b"".join(blob.bytes() for blob in client.cert_chain_pems)
        material.client_key_pem = client.private_key_pem.bytes()
    return material

"""The shape of a kubeconfig file, as kubectl's types have it, for one-line located type errors.

Only the types of what rolldeck reads are checked (``clusters: 5`` or ``exec: "str"`` is a
kubeconfig error naming the file, line and key, never a crash blamed on the API server); every
other key is allowed, as kubectl ignores what it does not know.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Extension(_Open):
    name: str
    extension: dict[str, object] | None = None


class ClusterBody(_Open):
    server: str | None = None
    certificate_authority: str | None = Field(None, alias="certificate-authority")
    certificate_authority_data: str | None = Field(None, alias="certificate-authority-data")
    insecure_skip_tls_verify: bool | None = Field(None, alias="insecure-skip-tls-verify")
    extensions: list[Extension] | None = None


class ExecEnv(_Open):
    name: str
    value: str


class ExecSpec(_Open):
    command: str
    args: list[str] | None = None
    env: list[ExecEnv] | None = None
    api_version: str | None = Field(None, alias="apiVersion")
    install_hint: str | None = Field(None, alias="installHint")
    interactive_mode: str | None = Field(None, alias="interactiveMode")
    provide_cluster_info: bool | None = Field(None, alias="provideClusterInfo")


class UserBody(_Open):
    token: str | None = None
    token_file: str | None = Field(None, alias="tokenFile")
    client_certificate: str | None = Field(None, alias="client-certificate")
    client_key: str | None = Field(None, alias="client-key")
    client_certificate_data: str | None = Field(None, alias="client-certificate-data")
    client_key_data: str | None = Field(None, alias="client-key-data")
    username: str | None = None
    password: str | None = None
    exec: ExecSpec | None = None
    as_user: str | None = Field(None, alias="as")
    as_groups: list[str] | None = Field(None, alias="as-groups")
    as_uid: str | None = Field(None, alias="as-uid")
    as_user_extra: dict[str, list[str] | str] | None = Field(None, alias="as-user-extra")


class ContextBody(_Open):
    cluster: str | None = None
    user: str | None = None
    namespace: str | None = None
    extensions: list[Extension] | None = None


class ClusterEntry(_Open):
    name: str
    cluster: ClusterBody | None = None


class UserEntry(_Open):
    name: str
    user: UserBody | None = None


class ContextEntry(_Open):
    name: str
    context: ContextBody | None = None


class KubeconfigFile(_Open):
    clusters: list[ClusterEntry] | None = None
    users: list[UserEntry] | None = None
    contexts: list[ContextEntry] | None = None
    current_context: str | None = Field(None, alias="current-context")

"""Request and response models of identity: tokens, people, machine clients."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from govmedia_common.inputs import Identifier
from govmedia_registry.schemas import In, Name, Out, RegionCode


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


class PersonIn(In):
    username: Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
    display_name: Name
    password: Annotated[str, Field(min_length=10, max_length=200)]
    unit_id: Identifier | None = None
    region_code: RegionCode
    roles: list[
        Literal[
            "editor",
            "reviewer",
            "approver",
            "unit_admin",
            "liaison",
            "office_staff",
            "office_admin",
            "auditor",
        ]
    ] = Field(min_length=1, max_length=8)


class PersonOut(Out):
    id: str
    username: str
    display_name: str
    unit_id: str | None
    region_code: str
    roles: list[str]
    active: bool


class ClientIn(In):
    name: Name
    region_code: RegionCode
    unit_id: Identifier | None = None
    scopes: list[Identifier] = Field(min_length=1, max_length=50, examples=[["registry:read"]])


class ClientOut(BaseModel):
    client_id: str
    name: str
    region_code: str
    unit_id: str | None
    scopes: list[str]
    client_secret: str | None = Field(
        None,
        description="Shown once, at creation; a create replayed by its Idempotency-Key answers null "
        "(the secret is never kept): rotate it with POST /v1/clients/{client_id}/secret.",
    )


Password = Annotated[str, Field(min_length=1, max_length=200)]


class PasswordChangeIn(In):
    current_password: Password
    new_password: Password = Field(description="At least 10 characters and hard to guess (zxcvbn).")


class PasswordResetIn(In):
    new_password: Password = Field(description="At least 10 characters and hard to guess (zxcvbn).")


class ReasonIn(In):
    reason: Annotated[str, Field(max_length=2000, description="Why: it goes on the audit record.")]


class ClientSecretOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; the previous secret and its tokens stop working.")

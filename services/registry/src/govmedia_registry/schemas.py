"""What every request and response model of the registry shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from govmedia_common.text import invisible_in_name

RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["331004"])]
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(invisible_in_name)]
# a duty word, a person's name in a list
ShortKeyword = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(invisible_in_name)]


class In(BaseModel):
    """Base of request bodies: unknown fields are refused, surrounding spaces dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """Base of response bodies: read from domain objects or rows directly."""

    model_config = ConfigDict(from_attributes=True)

"""The provider contract suite (tests/providers/contract.py) against the HeyGen v3 and v2 emulators."""

from __future__ import annotations

from typing import ClassVar

from tests.providers.contract import ProviderContract, Vendor
from tests.providers.heygen.case import V2, V3


class TestHeyGenV3(ProviderContract):
    vendor: ClassVar[Vendor] = V3


class TestHeyGenV2(ProviderContract):
    vendor: ClassVar[Vendor] = V2

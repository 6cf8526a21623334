"""The provider contract suite (tests/providers/contract.py) against the Napster emulator."""

from __future__ import annotations

from typing import ClassVar

from tests.providers.contract import ProviderContract, Vendor
from tests.providers.napster.case import NAPSTER


class TestNapsterContract(ProviderContract):
    vendor: ClassVar[Vendor] = NAPSTER

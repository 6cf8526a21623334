"""The provider contract suite (tests/providers/contract.py) against the Runware emulator."""

from __future__ import annotations

from typing import ClassVar

from tests.providers.contract import ProviderContract, Vendor
from tests.providers.runware.case import RUNWARE


class TestRunwareContract(ProviderContract):
    vendor: ClassVar[Vendor] = RUNWARE

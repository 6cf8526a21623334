"""The provider contract suite (tests/providers/contract.py) against the Creatify emulator."""

from __future__ import annotations

from typing import ClassVar

from tests.providers.contract import ProviderContract, Vendor
from tests.providers.creatify.case import CREATIFY


class TestCreatifyContract(ProviderContract):
    vendor: ClassVar[Vendor] = CREATIFY

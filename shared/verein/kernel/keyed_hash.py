"""Keyed hashes for claim keys and request fingerprints.

A claim key derived from personal data (an e-mail address) must not let anyone holding a backup
of the table confirm a guess by hashing it, and must stop pointing at a person once the key is
gone. So claim keys are HMAC-SHA256 under a secret that lives outside the table (AWS Secrets
Manager in AWS, a file in the data dir locally). Each use names its purpose, so that equal
inputs for different purposes never give equal digests.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_SECRET_BYTES = 32


class KeyedHash:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the claim-key secret needs at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret

    def digest(self, purpose: str, value: str) -> str:
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

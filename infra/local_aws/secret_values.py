"""Values for the template's Secrets Manager secrets, kept in the data dir.

Deployed, CloudFormation generates a secret once and it lives as long as the stack. Locally the
value is generated on the first start, the way ``GenerateSecretString`` says, and kept in
``<data-dir>/secrets/<LogicalId>`` (0600 in a 0700 folder), so it survives restarts: claim keys
hashed with it must stay findable. Without a data dir (tests) the value lives for one stack.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable
from pathlib import Path

from local_aws.files import create_private_file_once, private_dir, tighten
from local_aws.template import SecretGenerator, SecretSpec

SECRETS_DIR = "secrets"


def _character_classes(generator: SecretGenerator) -> list[str]:
    """The character sets a password draws from, minus ExcludeCharacters (empty ones dropped)."""
    classes = [
        "" if generator.exclude_lowercase else string.ascii_lowercase,
        "" if generator.exclude_uppercase else string.ascii_uppercase,
        "" if generator.exclude_numbers else string.digits,
        # Secrets Manager's punctuation is exactly ASCII's: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
        "" if generator.exclude_punctuation else string.punctuation,
    ]
    excluded = set(generator.exclude_characters)
    kept = ["".join(ch for ch in chars if ch not in excluded) for chars in classes]
    return [chars for chars in kept if chars]


def generate_password(generator: SecretGenerator) -> str:
    """A random password as Secrets Manager's GetRandomPassword would make it."""
    classes = _character_classes(generator)
    alphabet = "".join(classes) + (" " if generator.include_space else "")
    if not alphabet:
        raise ValueError("GenerateSecretString excludes every character")
    required = classes if generator.require_each_included_type else []
    if len(required) > generator.password_length:
        raise ValueError(
            f"PasswordLength {generator.password_length} is too short to include "
            f"each of {len(required)} character types"
        )
    while True:
        # Drawing whole passwords until one has every type keeps each accepted one uniform.
        password = "".join(secrets.choice(alphabet) for _ in range(generator.password_length))
        if all(any(ch in chars for ch in password) for chars in required):
            return password


def generate_secret_string(generator: SecretGenerator) -> str:
    password = generate_password(generator)
    if generator.secret_string_template is None or generator.generate_string_key is None:
        return password
    document = json.loads(generator.secret_string_template)
    if not isinstance(document, dict):
        raise ValueError("SecretStringTemplate must be a JSON object")
    document[generator.generate_string_key] = password
    return json.dumps(document, separators=(",", ":"))


def secret_value(spec: SecretSpec, data_dir: Path | None) -> str:
    """The secret's value: the template's literal, else the stored or a newly generated one."""
    if spec.secret_string is not None:
        return spec.secret_string
    if spec.generator is None:  # the template module guarantees one of the two
        raise ValueError(f"{spec.logical_id} has neither SecretString nor GenerateSecretString")
    if data_dir is None:
        return generate_secret_string(spec.generator)
    folder = private_dir(data_dir / SECRETS_DIR)
    path = folder / spec.logical_id
    tighten(path)
    if path.exists():
        stored = path.read_bytes()
    else:
        stored = create_private_file_once(path, generate_secret_string(spec.generator).encode())
    if not stored:
        # Not regenerated: a new value would make everything hashed with the old one unfindable.
        raise ValueError(f"{path} is empty; restore it from a backup of the data dir")
    return stored.decode()


def secret_values(specs: Iterable[SecretSpec], data_dir: Path | None) -> dict[str, str]:
    """Secret name (what ``!Ref`` resolves to) -> value, for every secret of the template."""
    return {spec.name: secret_value(spec, data_dir) for spec in specs}

"""Secrets Manager secrets from the template: resolution, generation, persistence."""

from __future__ import annotations

import json
import os
import stat
import string
from pathlib import Path

import boto3
import pytest

from local_aws.secret_values import (
    SECRETS_DIR,
    generate_password,
    generate_secret_string,
    secret_value,
    secret_values,
)
from local_aws.template import (
    LocalTemplate,
    SecretGenerator,
    SecretSpec,
    TemplateError,
    load_template,
)

ALPHANUMERIC = set(string.ascii_letters + string.digits)


def write_template(tmp_path: Path, resources: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text("Parameters:\n  Stage: {Type: String, Default: prod}\nResources:\n" + resources)
    return path


# --- the template -----------------------------------------------------------------------------


def test_the_claim_key_secret_is_read_from_the_template(template: LocalTemplate) -> None:
    spec = template.secrets["ClaimKeySecret"]
    assert spec.secret_string is None
    assert spec.generator == SecretGenerator(password_length=64, exclude_punctuation=True)
    # The functions that read it get the same id the stack creates the secret under.
    readers = [f for f in template.functions.values() if "CLAIM_KEY_SECRET_ARN" in f.environment]
    assert readers
    for function in readers:
        assert function.environment["CLAIM_KEY_SECRET_ARN"] == spec.name


def test_every_secret_resource_is_read_generically(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        """
  Plain:
    Type: AWS::SecretsManager::Secret
    Properties:
      GenerateSecretString: {}
  Named:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Sub "${Stage}/db"
      GenerateSecretString:
        SecretStringTemplate: '{"username": "verein"}'
        GenerateStringKey: password
        ExcludeCharacters: "abc"
        RequireEachIncludedType: false
  Literal:
    Type: AWS::SecretsManager::Secret
    Properties:
      SecretString: !Sub "value-${Stage}"
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Environment:
        Variables:
          PLAIN: !Ref Plain
          NAMED: !Ref Named
          NAMED_ID: !GetAtt Named.Id
""",
    )
    template = load_template(path)
    assert template.secrets["Plain"] == SecretSpec("Plain", "Plain", None, SecretGenerator())
    named = template.secrets["Named"]
    assert named.name == "prod/db"
    assert named.generator == SecretGenerator(
        exclude_characters="abc",
        require_each_included_type=False,
        secret_string_template='{"username": "verein"}',
        generate_string_key="password",
    )
    assert template.secrets["Literal"].secret_string == "value-prod"
    assert template.functions["Fn"].environment == {
        "PLAIN": "Plain",
        "NAMED": "prod/db",
        "NAMED_ID": "prod/db",
    }


@pytest.mark.parametrize(
    "properties",
    [
        "{}",
        "{SecretString: x, GenerateSecretString: {}}",
        "{GenerateSecretString: {Length: 10}}",
        "{GenerateSecretString: {PasswordLength: 0}}",
        "{GenerateSecretString: {GenerateStringKey: password}}",
    ],
)
def test_secrets_the_stack_cannot_reproduce_are_rejected(tmp_path: Path, properties: str) -> None:
    path = write_template(
        tmp_path, f"  S:\n    Type: AWS::SecretsManager::Secret\n    Properties: {properties}\n"
    )
    with pytest.raises(TemplateError):
        load_template(path)


# --- generation -------------------------------------------------------------------------------


def test_generated_values_honour_length_and_excluded_punctuation() -> None:
    generator = SecretGenerator(password_length=64, exclude_punctuation=True)
    values = {generate_password(generator) for _ in range(200)}
    assert len(values) == 200
    for value in values:
        assert len(value) == 64
        assert set(value) <= ALPHANUMERIC
        # RequireEachIncludedType (the default): a lower, an upper case letter and a digit.
        assert set(value) & set(string.ascii_lowercase)
        assert set(value) & set(string.ascii_uppercase)
        assert set(value) & set(string.digits)


def test_generated_values_honour_the_other_options() -> None:
    digits_only = SecretGenerator(
        password_length=12,
        exclude_lowercase=True,
        exclude_uppercase=True,
        exclude_punctuation=True,
        exclude_characters="0123",
    )
    for _ in range(50):
        assert set(generate_password(digits_only)) <= set("456789")
    with_everything = SecretGenerator(password_length=4)
    for _ in range(50):
        value = generate_password(with_everything)
        assert len(value) == 4
        assert set(value) & set(string.punctuation)
    templated = SecretGenerator(
        password_length=20,
        secret_string_template='{"username": "verein"}',
        generate_string_key="password",
    )
    document = json.loads(generate_secret_string(templated))
    assert document["username"] == "verein"
    assert len(document["password"]) == 20


def test_impossible_generators_are_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        generate_password(SecretGenerator(password_length=3))
    nothing = SecretGenerator(
        exclude_lowercase=True,
        exclude_uppercase=True,
        exclude_numbers=True,
        exclude_punctuation=True,
    )
    with pytest.raises(ValueError, match="excludes every character"):
        generate_password(nothing)


# --- persistence ------------------------------------------------------------------------------

SPEC = SecretSpec("ClaimKeySecret", "ClaimKeySecret", None, SecretGenerator(password_length=64))


def test_the_value_is_kept_in_the_data_dir_owner_only(tmp_path: Path) -> None:
    first = secret_value(SPEC, tmp_path)
    assert secret_value(SPEC, tmp_path) == first
    path = tmp_path / SECRETS_DIR / "ClaimKeySecret"
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["ClaimKeySecret"]


def test_a_stored_value_with_loose_modes_is_tightened_and_kept(tmp_path: Path) -> None:
    folder = tmp_path / SECRETS_DIR
    folder.mkdir(mode=0o755)
    (folder / "ClaimKeySecret").write_text("k" * 40)
    (folder / "ClaimKeySecret").chmod(0o644)
    assert secret_value(SPEC, tmp_path) == "k" * 40
    assert stat.S_IMODE((folder / "ClaimKeySecret").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_empty_stored_value_is_an_error_not_a_new_key(tmp_path: Path) -> None:
    (tmp_path / SECRETS_DIR).mkdir()
    (tmp_path / SECRETS_DIR / "ClaimKeySecret").write_text("")
    with pytest.raises(ValueError, match="empty"):
        secret_value(SPEC, tmp_path)


def test_without_a_data_dir_values_are_ephemeral(tmp_path: Path) -> None:
    assert secret_value(SPEC, None) != secret_value(SPEC, None)
    literal = SecretSpec("L", "l", "fixed", None)
    assert secret_values([SPEC, literal], None)["l"] == "fixed"


# --- the test backend -------------------------------------------------------------------------


def test_the_functions_environment_names_a_secret_the_test_backend_serves(aws) -> None:
    client = boto3.client("secretsmanager")  # the functions' own way: endpoint from the env
    value = client.get_secret_value(SecretId=os.environ["CLAIM_KEY_SECRET_ARN"])["SecretString"]
    assert len(value) == 64
    assert set(value) <= ALPHANUMERIC

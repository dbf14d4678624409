"""The smoke test's way to a staff token in AWS: a temporary user, TOTP set up, deleted after.

Against moto's Cognito and CloudFormation for the admin calls and the stack's outputs; the
``MFA_SETUP`` exchange (which moto skips) against botocore's Stubber with AWS's own shapes.
"""

import boto3
import pyotp
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tests import smoke

S1, S2, S3 = ("session-" + str(n) * 20 for n in (1, 2, 3))  # Cognito sessions: >= 20 characters

OUTPUTS_ONLY = """
Parameters:
  PoolId: {Type: String}
  ClientId: {Type: String}
Resources:
  Nothing: {Type: AWS::SQS::Queue}
Outputs:
  StaffUserPoolId: {Value: !Ref PoolId}
  StaffUserPoolClientId: {Value: !Ref ClientId}
"""


@pytest.fixture
def deployed(monkeypatch):
    """A stack named like a stage's, with a staff pool as the template makes it."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        cognito = boto3.client("cognito-idp")
        pool = cognito.create_user_pool(
            PoolName="verein-staff-test",
            UsernameAttributes=["email"],
            MfaConfiguration="ON",
        )["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool, ClientName="staff", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        cognito.create_group(UserPoolId=pool, GroupName="staff")
        boto3.client("cloudformation").create_stack(
            StackName="verein-test",
            TemplateBody=OUTPUTS_ONLY,
            Parameters=[
                {"ParameterKey": "PoolId", "ParameterValue": pool},
                {"ParameterKey": "ClientId", "ParameterValue": client},
            ],
        )
        yield cognito, pool


def test_a_temporary_staff_user_signs_in_and_is_gone_afterwards(deployed):
    cognito, pool = deployed
    with smoke.temporary_staff_user("verein-test") as token:
        (user,) = cognito.list_users(UserPoolId=pool)["Users"]
        email = {a["Name"]: a["Value"] for a in user["Attributes"]}["email"]
        assert email.endswith("@simulator.amazonses.com")
        groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=email)
        assert [g["GroupName"] for g in groups["Groups"]] == ["staff"]
        assert token.count(".") == 2  # a JWT
    assert cognito.list_users(UserPoolId=pool)["Users"] == []


def test_the_user_is_deleted_when_signing_in_fails(deployed, monkeypatch):
    cognito, pool = deployed

    def refused(*args):
        raise smoke.SmokeFailed("sign-in refused")

    monkeypatch.setattr(smoke, "sign_in", refused)
    with pytest.raises(smoke.SmokeFailed), smoke.temporary_staff_user("verein-test"):
        pass
    assert cognito.list_users(UserPoolId=pool)["Users"] == []


def test_the_first_sign_in_sets_up_a_totp_code_from_the_secret_cognito_hands_out():
    cognito = boto3.client("cognito-idp", region_name="eu-central-1")
    secret = pyotp.random_base32()
    codes = []
    with Stubber(cognito) as stub:
        stub.add_response(
            "initiate_auth",
            {"ChallengeName": "MFA_SETUP", "Session": S1, "ChallengeParameters": {}},
            {"ClientId": "c", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": ANY},
        )
        stub.add_response(
            "associate_software_token", {"SecretCode": secret, "Session": S2}, {"Session": S1}
        )
        stub.add_response(
            "verify_software_token",
            {"Status": "SUCCESS", "Session": S3},
            {"Session": S2, "UserCode": ANY, "FriendlyDeviceName": ANY},
        )
        stub.add_response(
            "respond_to_auth_challenge",
            {"AuthenticationResult": {"IdToken": "id.token.here"}},
            {
                "ClientId": "c",
                "ChallengeName": "MFA_SETUP",
                "Session": S3,
                "ChallengeResponses": {"USERNAME": "u@x.example"},
            },
        )
        cognito.meta.events.register(
            "provide-client-params.cognito-idp.VerifySoftwareToken",
            lambda params, **_: codes.append(params["UserCode"]),
        )
        assert smoke.sign_in(cognito, "c", "u@x.example", "pw") == "id.token.here"
        stub.assert_no_pending_responses()
    (code,) = codes
    assert pyotp.TOTP(secret).verify(code, valid_window=1)


def test_an_unexpected_challenge_fails_the_smoke_test_clearly():
    cognito = boto3.client("cognito-idp", region_name="eu-central-1")
    with Stubber(cognito) as stub:
        stub.add_response(
            "initiate_auth",
            {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": S1, "ChallengeParameters": {}},
        )
        with pytest.raises(smoke.SmokeFailed, match="NEW_PASSWORD_REQUIRED"):
            smoke.sign_in(cognito, "c", "u@x.example", "pw")

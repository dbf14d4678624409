"""Local twins: environment values that name the deployed Cognito get the local login's.

The staff app's function is told where the deployed managed login and token issuer are, and
finds its app client by name; none of that answers locally. The stack gives a function that
defines those variables the local managed login's URL (with the gateway's port), issuer and
client id instead, and leaves every other function's environment as the template has it.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from local_aws.cli import LocalStack, cognito_twins
from local_aws.functions import worker_environment
from local_aws.jwt_auth import LOCAL_CLIENT_ID, LOCAL_ISSUER
from local_aws.managed_login import PREFIX as LOGIN_PREFIX
from local_aws.template import LocalTemplate

pytestmark = pytest.mark.e2e

TWINS = ("STAFF_LOGIN_URL", "STAFF_TOKEN_ISSUER", "STAFF_WEB_CLIENT_ID")
LOGIN_URL = "http://127.0.0.1:3000/_local/cognito"


def test_only_the_function_that_signs_staff_in_gets_the_local_cognito(
    template: LocalTemplate,
) -> None:
    twins = cognito_twins(LOGIN_URL, LOCAL_ISSUER, LOCAL_CLIENT_ID)
    stack_environment = {"AWS_REGION": "eu-central-1", "HOME": "/root"}
    for spec in template.functions.values():
        plain = worker_environment(spec, stack_environment, "stream")
        local = worker_environment(spec, stack_environment, "stream", overrides=twins)
        if spec.logical_id != "StaffWebFunction":
            assert local == plain, spec.logical_id
            assert not set(TWINS) & set(local), spec.logical_id
            continue
        assert {name: local[name] for name in TWINS} == {
            "STAFF_LOGIN_URL": LOGIN_URL,
            "STAFF_TOKEN_ISSUER": LOCAL_ISSUER,
            "STAFF_WEB_CLIENT_ID": LOCAL_CLIENT_ID,
        }
        # The template's deployed values are what they replace; the rest stays the template's.
        assert plain["STAFF_LOGIN_URL"].endswith(".amazoncognito.com")
        assert plain["STAFF_TOKEN_ISSUER"].startswith("https://cognito-idp.")
        assert "STAFF_WEB_CLIENT_ID" not in plain
        assert {k: v for k, v in local.items() if k not in TWINS} == {
            k: v for k, v in plain.items() if k not in TWINS
        }


TEMPLATE = """
Resources:
  EventStoreTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: stream_id, AttributeType: S}]
      KeySchema: [{AttributeName: stream_id, KeyType: HASH}]
  StaffUserPool:
    Type: AWS::Cognito::UserPool
  StaffLoginDomain:
    Type: AWS::Cognito::UserPoolDomain
    Properties: {UserPoolId: !Ref StaffUserPool, Domain: local-login}
  Api:
    Type: AWS::Serverless::HttpApi
  StaffWebFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/web/
      Handler: app.handler
      Environment:
        Variables:
          STAFF_LOGIN_URL: !Sub https://${StaffLoginDomain}.auth.${AWS::Region}.amazoncognito.com
          STAFF_TOKEN_ISSUER: !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${StaffUserPool}
          STAFF_USER_POOL_ID: !Ref StaffUserPool
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /control, Method: GET, Auth: {Authorizer: NONE}}
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/other/
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /other, Method: GET}
"""

# Reads its environment at import, as the functions' settings do at cold start.
PROBE = """
import json, os

SEEN = {n: os.environ.get(n) for n in
        ("STAFF_LOGIN_URL", "STAFF_TOKEN_ISSUER", "STAFF_WEB_CLIENT_ID", "STAFF_USER_POOL_ID")}

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(SEEN)}
"""


def test_the_staff_web_functions_workers_get_the_local_login_from_their_start(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    for name in ("web", "other"):
        folder = project / "fn" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(textwrap.dedent(PROBE))
    (project / "template.yaml").write_text(TEMPLATE)
    # One environment per function: the one prepare() started before the gateway served.
    with (
        LocalStack(project / "template.yaml", tmp_path / "data", pool_size=1) as stack,
        httpx.Client(base_url=stack.base_url, follow_redirects=False, timeout=30) as http,
    ):
        web = http.get("/control").json()
        other = http.get("/other").json()
        assert web == {
            "STAFF_LOGIN_URL": f"{stack.base_url}{LOGIN_PREFIX}",
            "STAFF_TOKEN_ISSUER": LOCAL_ISSUER,
            "STAFF_WEB_CLIENT_ID": LOCAL_CLIENT_ID,
            "STAFF_USER_POOL_ID": "StaffUserPool",  # no local meaning, and not used locally
        }
        assert web["STAFF_LOGIN_URL"] == stack.login_base_url
        assert other == dict.fromkeys(web)

        # The login the function is pointed at takes the staff app's callback and sign-out
        # pages (the template's CallbackURLs and LogoutURLs, on the stack's origin) ...
        login = urlsplit(web["STAFF_LOGIN_URL"]).path
        callback = f"{stack.base_url}/control/auth/callback"
        signed_out = f"{stack.base_url}/control/signed-out"
        page = http.get(
            f"{login}/oauth2/authorize",
            params={
                "response_type": "code",
                "client_id": web["STAFF_WEB_CLIENT_ID"],
                "redirect_uri": callback,
                "state": "st",
                "code_challenge": "A" * 43,
                "code_challenge_method": "S256",
                "scope": "openid email profile",
            },
        )
        assert page.status_code == 200, page.text
        logout = http.get(
            f"{login}/logout",
            params={"client_id": web["STAFF_WEB_CLIENT_ID"], "logout_uri": signed_out},
        )
        assert (logout.status_code, logout.headers["location"]) == (302, signed_out)
        # ... and still nothing off it.
        elsewhere = http.get(
            f"{login}/logout",
            params={
                "client_id": web["STAFF_WEB_CLIENT_ID"],
                "logout_uri": "https://evil.example/control/signed-out",
            },
        )
        assert elsewhere.status_code == 400

"""The API's handler: who the JWT authorizer says the caller is, and with which scopes."""

import json


def handler(event, context):
    jwt = (event["requestContext"].get("authorizer") or {}).get("jwt") or {}
    claims = jwt.get("claims") or {}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"route": event["routeKey"], "sub": claims.get("sub"),
                            "scopes": jwt.get("scopes")}),
    }

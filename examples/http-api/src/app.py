"""The API's handler: says which route ran and who the authorizer said the caller is."""

import json


def handler(event, context):
    authorizer = (event["requestContext"].get("authorizer") or {}).get("lambda") or {}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"route": event["routeKey"], "user": authorizer.get("user"),
                            "quota": authorizer.get("quota")}),
    }

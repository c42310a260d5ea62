import json


def handler(event, context):
    auth = event["requestContext"].get("authorizer") or {}
    body = {
        "path": event["path"],
        "principalId": auth.get("principalId"),
        "tier": auth.get("tier"),
    }
    if event.get("pathParameters"):
        body["orderId"] = event["pathParameters"]["id"]
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }

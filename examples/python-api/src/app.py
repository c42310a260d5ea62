"""Example Lambda proxy handler for the glassgate python-api example."""

import json
import os

GREETING = os.environ.get("GREETING", "Hi")


def _response(status, body, headers=None):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def hello(event, context):
    params = event.get("queryStringParameters") or {}
    name = params.get("name", "world")
    return _response(200, {
        "message": "%s, %s!" % (GREETING, name),
        "stage": os.environ.get("STAGE_NAME"),
        "memory_mb": context.memory_limit_in_mb,
    })


def get_user(event, context):
    user_id = event["pathParameters"]["id"]
    params = event.get("queryStringParameters") or {}
    return _response(200, {"id": user_id, "query": params})


def create_user(event, context):
    try:
        user = json.loads(event.get("body") or "")
    except ValueError:
        return _response(400, {"error": "body must be JSON"})
    if not isinstance(user, dict):
        return _response(400, {"error": "body must be a JSON object"})
    user.setdefault("id", "u-" + context.aws_request_id[:8])
    return _response(201, {"created": user}, {"location": "/users/" + user["id"]})


def boom(event, context):
    raise RuntimeError("something went wrong in the handler")


ROUTES = {
    ("GET", "/hello"): hello,
    ("GET", "/users/{id}"): get_user,
    ("POST", "/users"): create_user,
    ("GET", "/boom"): boom,
}


def lambda_handler(event, context):
    route = ROUTES.get((event.get("httpMethod"), event.get("resource")))
    if route is None:
        return _response(404, {"error": "no such route"})
    return route(event, context)

"""HTTP API Lambda authorizers for the conformance scenarios.

`simple` answers simple responses (payload 2.0, EnableSimpleResponses) and `iam` IAM policies,
both deciding from the Authorization header: each value is one behaviour whose AWS outcome a
scenario pins down. The context carries what the authorizer saw, so the backend's echo shows
it.
"""

import json
import os


def seen(event):
    return {
        "sawType": event.get("type"),
        "sawVersion": event.get("version"),
        "sawRouteKey": event.get("routeKey"),
        "sawRouteArn": event.get("routeArn") or event.get("methodArn"),
        "sawIdentity": json.dumps(event.get("identitySource")),
        "sawBody": "body" in event,
    }


def simple(event, context):
    mode = (event.get("headers") or {}).get("authorization", "")
    ctx = {"user": "ana", "n": 7, "admin": False, "roles": ["reader"], "org": {"id": 42}}
    ctx.update(seen(event))
    if mode == "allow":
        return {"isAuthorized": True, "context": ctx}
    if mode == "deny":
        return {"isAuthorized": False, "context": ctx}
    if mode == "admin-only":
        # Allowed on GET /admin only; the cache leaks the decision to the other routes.
        return {"isAuthorized": event.get("routeKey") == "GET /admin", "context": ctx}
    if mode == "string-false":
        return {"isAuthorized": "false"}
    if mode == "no-field":
        return {"context": ctx}
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "error":
        raise Exception("Token expired")
    if mode == "crash":
        os._exit(1)
    raise Exception("unknown mode %r" % mode)


def iam(event, context):
    mode = (event.get("headers") or {}).get("authorization", "")
    arn = event.get("routeArn") or event.get("methodArn")
    ctx = {"tier": "gold"}
    ctx.update({k: v for k, v in seen(event).items() if isinstance(v, str)})
    if mode == "allow-this":
        resource = arn
    elif mode == "allow-all":
        resource = arn.split("/", 1)[0] + "/*"
    else:
        resource = arn.split("/", 1)[0] + "/*/POST/elsewhere"
    return {
        "principalId": "iam-" + mode,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}],
        },
        "context": ctx,
    }

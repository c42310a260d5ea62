"""Authorizers for the conformance scenarios.

`token_modes` decides from the token (TOKEN authorizer); `request_modes` from the
`X-Mode` header (REQUEST authorizer). Each mode is one of the behaviours whose
AWS outcome the scenarios pin down.
"""

import json
import os
import time


def policy(principal, effect, resource, context=None):
    out = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
            ],
        },
    }
    if context is not None:
        out["context"] = context
    return out


def api_wildcard(method_arn):
    # arn:aws:execute-api:region:account:api/stage/VERB/path -> .../api/stage/*/*
    prefix = method_arn.split("/", 1)[0]
    stage = method_arn.split("/")[1]
    return "%s/%s/*/*" % (prefix, stage)


def behave(mode, method_arn, principal="user-1"):
    ctx = {"user": principal, "n": 1, "b": True, "reason": "mode " + mode}
    if mode.startswith("allow-all"):
        return policy(principal, "Allow", api_wildcard(method_arn), ctx)
    if mode.startswith("allow-this"):
        # The classic cache trap: a policy for exactly this method ARN.
        return policy(principal, "Allow", method_arn, ctx)
    if mode == "deny":
        return policy(principal, "Deny", api_wildcard(method_arn), ctx)
    if mode == "allow-other":
        return policy(principal, "Allow", api_wildcard(method_arn).replace("/*/*", "/POST/elsewhere"), ctx)
    if mode == "unauthorized":
        raise Exception("Unauthorized")
    if mode == "error":
        raise Exception("Token expired")
    if mode == "crash":
        os._exit(1)
    if mode == "hang":
        time.sleep(30)
    if mode == "garbage":
        return "not a policy"
    if mode == "http-style":
        return {"statusCode": 401, "body": json.dumps({"message": "no"})}
    if mode == "nested-context":
        return policy(principal, "Allow", "*", {"roles": ["admin", "user"]})
    if mode == "no-policy":
        return {"principalId": principal}
    if mode == "too-big":
        return policy(principal, "Allow", "*", {"pad": "x" * 9000})
    if mode == "oom":
        block = bytearray(400 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        return policy(principal, "Allow", "*")
    raise Exception("unknown mode %r" % mode)


def token_modes(event, context):
    token = event["authorizationToken"]
    mode = token.split(" ", 1)[-1]
    return behave(mode, event["methodArn"], principal="tok-" + mode)


def request_modes(event, context):
    headers = event.get("headers") or {}
    mode = headers.get("X-Mode") or headers.get("x-mode") or "allow-all"
    out = behave(mode, event["methodArn"], principal="req-" + mode)
    if isinstance(out, dict) and "context" in out and isinstance(out["context"], dict):
        out["context"]["eventType"] = event.get("type")
        out["context"]["sawPath"] = event.get("path")
        q = event.get("queryStringParameters") or {}
        out["context"]["tenant"] = q.get("tenant", "")
    return out

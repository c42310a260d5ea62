"""HTTP API backends for the conformance scenarios: each shows one part of the 2.0 response
contract (aws-httpapi-semantics.md §4.3)."""

import json
import time


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(event),
    }


def inferred(event, context):
    return {"message": "no statusCode"}


def boom(event, context):
    raise ValueError("broken on purpose")


def malformed(event, context):
    return {"statusCode": 200, "headers": {"set-cookie": ["a=1", "b=2"]}}


def slow(event, context):
    time.sleep(2)
    return {"statusCode": 200, "body": "late"}

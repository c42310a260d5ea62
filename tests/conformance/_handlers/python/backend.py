"""Backends for the conformance scenarios: they echo the event they received."""

import json


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(event),
    }

"""A Lambda authorizer for an HTTP API, with simple responses (payload 2.0).

It decides per route: alice may read her profile but not the admin reports; admin may read
both. The decision is right for the route it was asked about, but API Gateway caches it by
the Authorization header alone (Identity.Headers), so a "true" for /profile also opens
/admin/reports for the same token until the cache entry expires. That is the bug this
example reproduces.
"""

USERS = {
    "Bearer alice-token": {"user": "alice", "admin": False},
    "Bearer admin-token": {"user": "root", "admin": True},
}


def handler(event, context):
    who = USERS.get(event["headers"].get("authorization", ""))
    if who is None:
        return {"isAuthorized": False}
    allowed = who["admin"] or not event["routeKey"].startswith("GET /admin")
    return {
        "isAuthorized": allowed,
        # Values keep their JSON types in requestContext.authorizer.lambda.
        "context": {"user": who["user"], "admin": who["admin"], "quota": 100},
    }

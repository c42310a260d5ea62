"""TOKEN authorizer: `Bearer alice-token` (plan pro) and `Bearer bob-token` (plan free) are
allowed on every method of the API; anything else is `Unauthorized`."""

USERS = {"alice-token": ("alice", "pro"), "bob-token": ("bob", "free")}


def handler(event, context):
    token = event.get("authorizationToken", "").removeprefix("Bearer ")
    if token not in USERS:
        raise Exception("Unauthorized")
    user, plan = USERS[token]
    # Allow the whole API: the method ARN with its method and path replaced by wildcards.
    api = event["methodArn"].split("/")[0]
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{api}/*"}],
        },
        "context": {"plan": plan},
    }

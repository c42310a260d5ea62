"""A TOKEN authorizer with a bug that is common in production.

The policy allows only `event["methodArn"]`, the one method this token was first used for.
API Gateway caches the whole policy for 300 s per token (`ReauthorizeEvery`), so the same
token on another method gets a 403 from the cache, and this function never runs again to
say otherwise. The fix is a policy that covers every method the caller may use, e.g.
`arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/*/*`.
"""

USERS = {
    "Bearer alice-token": ("alice", "gold"),
    "Bearer bob-token": ("bob", "free"),
}


def handler(event, context):
    token = event["authorizationToken"]
    if token == "Bearer crash-token":
        # Anything but exactly "Unauthorized" becomes a 500 with a null message.
        raise RuntimeError("token service unavailable")
    if token not in USERS:
        # Exactly "Unauthorized": API Gateway answers 401.
        raise Exception("Unauthorized")
    user, tier = USERS[token]
    return {
        "principalId": user,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": event["methodArn"],  # the bug: only this one method
                }
            ],
        },
        "context": {"user": user, "tier": tier},
    }

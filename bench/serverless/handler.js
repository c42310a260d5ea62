'use strict';
// The Node.js functions both gateways run in bench/pool.py: serverless-offline (from
// serverless.yml next to this file) and glassgate (from the SAM template the script writes).

// GET /hello, /hello-cached and /open: a constant 200 with a small JSON body.
exports.hello = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    message: 'hello',
    principalId: (event.requestContext && event.requestContext.authorizer &&
      event.requestContext.authorizer.principalId) || null,
  }),
});

// TOKEN authorizer: allows the method ARN it was asked about, whatever the token.
exports.auth = async (event) => ({
  principalId: 'bench',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
  },
  context: { tier: 'bench' },
});

'use strict';
// HTTP API authorizers and a backend in Node.js for the conformance scenarios.

// Payload 2.0, simple responses: the Authorization header decides; the context tells the
// backend what the authorizer saw.
exports.simple = async (event) => ({
  isAuthorized: event.headers.authorization === 'allow',
  context: { runtime: 'node', sawVersion: event.version, sawIdentity: event.identitySource },
});

// Payload 1.0 with an IAM policy: the REST-style event plus a version.
exports.v1 = async (event) => ({
  principalId: 'node-v1',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
  },
  context: {
    sawVersion: event.version,
    sawType: event.type,
    sawIdentity: event.identitySource,
    sawToken: event.authorizationToken,
    sawMethod: event.httpMethod,
  },
});

exports.echo = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(event),
});

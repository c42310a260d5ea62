// Node authorizers for the conformance scenarios, in the styles Node code fails in.
'use strict';

function policy(principal, effect, resource) {
  return {
    principalId: principal,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
    context: { user: principal, n: 2 },
  };
}

function modeOf(event) {
  return (event.authorizationToken || '').split(' ').pop();
}

// Callback style: callback("Unauthorized") is how the AWS blueprints answer 401.
exports.callbackStyle = (event, context, callback) => {
  const mode = modeOf(event);
  if (mode === 'allow') return callback(null, policy('node-user', 'Allow', '*'));
  if (mode === 'unauthorized') return callback('Unauthorized');
  if (mode === 'invalid') return callback('Error: Invalid token');
  return callback(null, policy('node-user', 'Deny', '*'));
};

// Async style: thrown errors.
exports.asyncStyle = async (event) => {
  const mode = modeOf(event);
  if (mode === 'allow') return policy('node-user', 'Allow', '*');
  if (mode === 'unauthorized') throw new Error('Unauthorized');
  if (mode === 'unauthorized-text') throw new Error('Unauthorized: token expired');
  if (mode === 'crash') process.exit(2);
  if (mode === 'garbage') return 'Allow';
  return policy('node-user', 'Deny', '*');
};

'use strict';
// Example Lambda proxy handler for the glassgate node-api example.

const GREETING = process.env.GREETING || 'Hi';

const response = (statusCode, body, headers = {}) => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const routes = {
  'GET /hello': async (event, context) => {
    const name = (event.queryStringParameters || {}).name || 'world';
    return response(200, {
      message: `${GREETING}, ${name}!`,
      stage: process.env.STAGE_NAME,
      memoryMb: context.memoryLimitInMB,
    });
  },

  'GET /users/{id}': async (event) =>
    response(200, { id: event.pathParameters.id, query: event.queryStringParameters || {} }),

  'POST /users': async (event, context) => {
    let user;
    try {
      user = JSON.parse(event.body || '');
    } catch (_) {
      return response(400, { error: 'body must be JSON' });
    }
    if (user === null || typeof user !== 'object' || Array.isArray(user)) {
      return response(400, { error: 'body must be a JSON object' });
    }
    user.id = user.id || 'u-' + context.awsRequestId.slice(0, 8);
    return response(201, { created: user }, { location: `/users/${user.id}` });
  },

  'GET /boom': async () => {
    throw new Error('something went wrong in the handler');
  },
};

exports.handler = async (event, context) => {
  const route = routes[`${event.httpMethod} ${event.resource}`];
  if (!route) return response(404, { error: 'no such route' });
  return route(event, context);
};

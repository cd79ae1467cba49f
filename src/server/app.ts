import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type RouteHandlerMethod } from 'fastify';
import { GatewayError } from '../canonical/errors.js';
import { anthropicErrorBody } from '../surfaces/anthropic/errors.js';
import { openAIErrorBody } from '../surfaces/openai/errors.js';
import { prepareBodyParsers } from '../surfaces/validation.js';
import type { GatewayContext } from './context.js';
import { requestId } from '../util/request-id.js';
import { lazyChildLoggerFactory } from './request-logger.js';
import { LEDGER_MARK_FIELD } from '../ledger/index.js';
import { errorHeaders } from './errors.js';
import { registerChatRoutes } from './routes/chat.js';
import { registerEmbeddingsRoutes } from './routes/embeddings.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerAdminTenancyRoutes } from './admin/keys.js';
import { registerUsageRoutes } from './admin/usage.js';
import { registerAdminSovereigntyRoutes } from './admin/sovereignty.js';
import { registerProvidersRoute } from './admin/providers.js';
import { registerSessionRoutes } from './admin/session.js';
import { registerMessagesRoutes } from './routes/messages.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerModelRoutes } from './routes/models.js';
import { registerUi } from './ui.js';

/** Framework errors (body parsing, limits) in the catalogue's terms. */
function fromFrameworkError(err: FastifyError, maxBodyBytes: number): GatewayError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('body_too_large', `request body is larger than ${maxBodyBytes} bytes (server.maxBodyBytes)`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'send the request body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'the request body is empty; a JSON object is expected');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('invalid_json', `the request body is not valid JSON: ${err.message}`);
    default:
      if (err instanceof SyntaxError || err.statusCode === 400) {
        return new GatewayError('invalid_json', `the request body is not valid JSON: ${err.message}`);
      }
      return new GatewayError('internal_error', 'internal error', { cause: err });
  }
}

/** Errors in the dialect of the endpoint the client called. */
function errorBodyFor(url: string, error: GatewayError): unknown {
  return url.startsWith('/v1/messages') ? anthropicErrorBody(error) : openAIErrorBody(error);
}

/** Served while draining, so that load balancers see the replica leave (their answer says `draining`). */
const ALWAYS_SERVED = new Set(['/health', '/ready']);

/**
 * Stamps the request id on the answer; while draining, asks the client to close the connection and returns the
 * refusal to send (unless the route is served to the end).
 */
function stampOrRefuse(ctx: GatewayContext, reply: FastifyReply, id: string, alwaysServed: boolean): GatewayError | undefined {
  void reply.header('x-request-id', id);
  if (!ctx.draining()) return undefined;
  void reply.header('connection', 'close');
  return alwaysServed ? undefined : new GatewayError('shutting_down', 'the gateway is shutting down; retry on another replica');
}

/** A route handler behind `stampOrRefuse`: a refusal is thrown, so the error handler answers and records it. */
function guardedHandler(ctx: GatewayContext, handler: RouteHandlerMethod, alwaysServed: boolean): RouteHandlerMethod {
  return function (this: FastifyInstance, req, reply) {
    const refusal = stampOrRefuse(ctx, reply, req.id, alwaysServed);
    if (refusal) throw refusal;
    return handler.call(this, req, reply);
  };
}

export function buildApp(ctx: GatewayContext): FastifyInstance {
  const { server } = ctx.config;
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // One line per request is written by the routes themselves, with the model and host that served it.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    bodyLimit: server.maxBodyBytes,
    trustProxy: server.trustProxy,
    genReqId: () => requestId(),
    childLoggerFactory: lazyChildLoggerFactory,
    return503OnClosing: false,
    forceCloseConnections: 'idle',
  });

  // The ledger's per-request mark, present on every request object from its creation (no shape change later).
  app.decorateRequest(LEDGER_MARK_FIELD, null);

  // Only JSON bodies are part of the API; anything else is a 415, not a string to be misread later.
  app.removeContentTypeParser('text/plain');

  // Every answer carries the request id, and a draining gateway refuses new work. Both are put into each route's
  // handler as it is registered (an onRoute hook runs once per route): an onRequest hook would run Fastify's hook
  // machinery on every request, 2.8% of a model request's CPU (measured side by side). Answers that no handler
  // gives (a body that does not parse, a 404) get the id from the error and not-found handlers.
  app.addHook('onRoute', (route) => {
    route.handler = guardedHandler(ctx, route.handler as RouteHandlerMethod, ALWAYS_SERVED.has(route.url));
  });

  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    void reply.header('x-request-id', req.id);
    const error = err instanceof GatewayError ? err : fromFrameworkError(err, server.maxBodyBytes);
    if (error.code === 'internal_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ errorCode: error.code, status: error.status }, 'request refused');
    ctx.accounting.refused(req, reply, error);
    void reply.code(error.status).headers(errorHeaders(error)).send(errorBodyFor(req.url, error));
  });

  app.setNotFoundHandler((req, reply) => {
    const error = stampOrRefuse(ctx, reply, req.id, false) ?? new GatewayError('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(error.status).headers(errorHeaders(error)).send(errorBodyFor(req.url, error));
  });

  registerHealthRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerModelRoutes(app, ctx);
  registerChatRoutes(app, ctx);
  registerEmbeddingsRoutes(app, ctx);
  registerMessagesRoutes(app, ctx);
  // The model endpoints' body checks, compiled now rather than by the first request.
  prepareBodyParsers();
  // The admin API in its own scope with the session-cookie plugin, whose hooks (parse on request, Set-Cookie on
  // send) then run for admin routes only, not on every model request.
  void app.register(async (admin) => {
    await admin.register(fastifyCookie);
    registerUsageRoutes(admin, ctx);
    registerAdminTenancyRoutes(admin, ctx);
    registerAdminSovereigntyRoutes(admin, ctx);
    registerSessionRoutes(admin, ctx);
    registerProvidersRoute(admin, ctx);
  });
  registerUi(app, { adminDisabled: !ctx.auth.adminKey });
  return app;
}

import fastifyCookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { GatewayError } from '../canonical/errors.js';
import { anthropicErrorBody } from '../surfaces/anthropic/errors.js';
import { openAIErrorBody } from '../surfaces/openai/errors.js';
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

  // A callback hook, not an async one: it runs on every request and has nothing to wait for.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (ctx.draining()) {
      reply.header('connection', 'close');
      if (req.url !== '/health' && req.url !== '/ready') {
        done(new GatewayError('shutting_down', 'the gateway is shutting down; retry on another replica'));
        return;
      }
    }
    done();
  });

  app.setErrorHandler((err: FastifyError | GatewayError, req, reply) => {
    const error = err instanceof GatewayError ? err : fromFrameworkError(err, server.maxBodyBytes);
    if (error.code === 'internal_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ errorCode: error.code, status: error.status }, 'request refused');
    ctx.accounting.refused(req, reply, error);
    void reply.code(error.status).headers(errorHeaders(error)).send(errorBodyFor(req.url, error));
  });

  app.setNotFoundHandler((req, reply) => {
    const error = new GatewayError('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`);
    void reply.code(404).send(errorBodyFor(req.url, error));
  });

  registerHealthRoutes(app, ctx);
  registerMetricsRoute(app, ctx);
  registerModelRoutes(app, ctx);
  registerChatRoutes(app, ctx);
  registerEmbeddingsRoutes(app, ctx);
  registerMessagesRoutes(app, ctx);
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

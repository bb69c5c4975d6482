import path from 'node:path';
import { existsSync } from 'node:fs';
import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import type { AppContext } from './context';
import { errorHandler, notFoundHandler } from './http/errorHandler';
import { healthz } from './http/healthz';
import { apiRouter } from './api/router';
import { routingRouter } from './routing/routes';
import { twilioModule } from './twilio/module';
import { open311Router } from './open311/open311Router';
import { portalRouter } from './portal/portalRouter';
import { portalNotFound } from './portal/portalRouter';

/** A part of the web app mounted by a feature (a channel's webhooks, the portal, Open311). */
export interface WebModule {
  /** The path it is mounted at ('/' for the portal). */
  path: string;
  router(ctx: AppContext): Router;
}

/** Feature modules mounted after the core API, in order. Each feature adds one line here. */
const MODULES: WebModule[] = [{ path: '/api/v1/routing', router: routingRouter }, twilioModule, { path: '/open311/v2', router: open311Router }, { path: '/', router: portalRouter }];

/** The express application: security headers, health, the API, feature modules, the console, errors. */
export function createApp(ctx: AppContext, extra: WebModule[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.TRUST_PROXY ? 1 : false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          'img-src': ["'self'", 'data:', 'blob:', 'https:'],
          // The softphone's Voice SDK signals over wss: and posts call-quality events to Twilio over https.
          'connect-src': ["'self'", 'ws:', 'wss:', 'https://*.twilio.com'],
          'frame-src': ["'self'"],
          'media-src': ["'self'", 'blob:', 'https:'],
          'upgrade-insecure-requests': ctx.config.PUBLIC_URL.startsWith('https:') ? [] : null,
        },
      },
      strictTransportSecurity: ctx.config.PUBLIC_URL.startsWith('https:'),
    }),
  );

  app.get('/healthz', healthz(ctx));
  app.use('/api/v1', apiRouter(ctx));
  for (const m of [...MODULES, ...extra]) app.use(m.path, m.router(ctx));
  mountConsole(app);

  app.use(portalNotFound);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/** The agents' console: the production build when there is one, else the placeholder page. */
function mountConsole(app: Express): void {
  const root = path.resolve(__dirname, '..', 'agent-console');
  const built = path.join(root, 'dist');
  const dir = existsSync(path.join(built, 'index.html')) ? built : path.join(root, 'public');
  app.use('/console', express.static(dir, { index: 'index.html', maxAge: '1h' }));
  app.get(/^\/console(\/.*)?$/, (_req, res) => res.sendFile(path.join(dir, 'index.html')));
  app.get('/', (_req, res, next) => (MODULES.some((m) => m.path === '/') ? next() : res.redirect('/console/')));
}

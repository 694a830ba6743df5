import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify';

/**
 * Hooks that concern some routes only (idempotency and the audit log on authenticated writes, the
 * body's encoding on routes that read one) are attached to those routes as they are registered,
 * not to the app: Fastify skips a lifecycle step a route has no hooks for, where an app-wide hook
 * runs, returns and is awaited on every request only to find it has nothing to do
 * (docs/performance.md, "Ninth round"). Must be called before the routes are registered.
 */
export function hookRoutes(app: FastifyInstance, applies: (route: RouteOptions) => boolean, hooks: RouteHooks): void {
  app.addHook('onRoute', (route) => {
    if (!applies(route)) return;
    for (const name of Object.keys(hooks) as Array<keyof RouteHooks>) {
      // A route's own hooks may be one function or a list; these run after them.
      const existing: unknown = route[name];
      route[name] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), hooks[name]] as never;
    }
  });
}

type RouteHooks = Partial<Pick<RouteOptions, 'preParsing' | 'preHandler' | 'onSend' | 'onResponse'>>;

/** Methods that change nothing; Fastify reads no body on GET and HEAD (and no route here answers OPTIONS). */
const READ_METHODS: ReadonlySet<string> = new Set<HTTPMethods>(['GET', 'HEAD', 'OPTIONS']);

/** Whether a route answers a method other than GET, HEAD and OPTIONS. */
export function changesSomething(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.some((method) => !READ_METHODS.has(method));
}

/** Routes that need a key and change something: idempotency and the audit log concern these. */
export function isAuthenticatedWrite(route: RouteOptions): boolean {
  return route.config?.access !== undefined && changesSomething(route);
}

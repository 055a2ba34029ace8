import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI document built from the same TypeBox schemas that validate requests; UI at /api/docs. */
export default fp(
  async function docs(app: FastifyInstance) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Mirador API',
          version: app.config.version,
          description: 'Virtual machines over SSH and Docker containers, one inventory, one audit log.',
        },
        components: {
          securitySchemes: {
            session: { type: 'apiKey', in: 'cookie', name: 'mirador_session' },
            token: { type: 'http', scheme: 'bearer', description: 'Personal API token (mir_…)' },
          },
        },
        security: [{ session: [] }, { token: [] }],
      },
    });
    // The API description is public on purpose (it is the published contract, and scripts read it
    // before they hold a token); said explicitly because the auth guard denies undeclared routes.
    app.addHook('onRoute', (route) => {
      if (route.url === '/api/docs' || route.url.startsWith('/api/docs/')) route.config = { ...route.config, public: true };
    });
    await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true, uiConfig: { docExpansion: 'list' } });
  },
  { name: 'docs', dependencies: ['infra'] },
);

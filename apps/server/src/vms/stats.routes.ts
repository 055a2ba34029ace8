import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HostIdParams, VmParams, VmStatsHistory, VmStatsPoint, errorResponses } from '@mirador/contract';
import { notFound } from '../lib/http-errors.js';
import { HISTORY_MAX_MINUTES, type StatsCollector } from './stats-collector.js';

const HistoryQuery = Type.Object({
  minutes: Type.Optional(
    Type.Integer({ minimum: 1, maximum: HISTORY_MAX_MINUTES, default: 60, description: 'How far back (default 60, at most 1440)' }),
  ),
});
const LatestStats = Type.Object({
  hostId: Type.String(),
  stats: Type.Array(Type.Object({ name: Type.String(), point: VmStatsPoint })),
});

/** Stats history and latest points; the live stream is the `vm-stats:<hostId>` websocket topic. */
export default async function vmStatsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['vms'];
  // Read lazily: the decorator may be added after these routes are registered.
  const stats = (): StatsCollector => app.vmStats;

  async function assertHost(hostId: string) {
    const h = await app.db.host.findUnique({ where: { id: hostId }, select: { id: true } });
    if (!h) throw notFound('Host');
  }

  app.get(
    '/hosts/:hostId/vms/:name/stats',
    {
      schema: {
        tags,
        summary: 'CPU, memory, disk and network history of a VM (minute averages, then the last minutes at full resolution)',
        params: VmParams,
        querystring: HistoryQuery,
        response: { 200: VmStatsHistory, ...errorResponses },
      },
    },
    async (req) => {
      const { hostId, name } = req.params;
      await assertHost(hostId);
      return {
        hostId,
        name,
        points: await stats().history(hostId, name, req.query.minutes ?? 60),
        memorySource: stats().memorySource(hostId, name),
      };
    },
  );

  app.get(
    '/hosts/:hostId/vm-stats',
    {
      schema: {
        tags,
        summary: "Latest stats point of each of a host's running VMs (first paint of the list sparklines)",
        params: HostIdParams,
        response: { 200: LatestStats, ...errorResponses },
      },
    },
    async (req) => {
      const { hostId } = req.params;
      await assertHost(hostId);
      return { hostId, stats: [...stats().latest(hostId)].map(([name, point]) => ({ name, point })) };
    },
  );
}

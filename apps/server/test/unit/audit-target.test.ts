import { describe, expect, it } from 'vitest';
import Fastify, { type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CreatedToken, VmParams, errorResponses } from '@mirador/contract';
import '../../src/types.js';
import { resolveTarget, type TargetSpec } from '../../src/audit/audit-target.js';

const request = (parts: Partial<Pick<FastifyRequest, 'params' | 'query' | 'body' | 'identity'>>) =>
  ({ params: {}, query: {}, body: undefined, identity: null, ...parts }) as FastifyRequest;

describe('resolveTarget', () => {
  const spec: TargetSpec = { type: 'vm', id: 'body.name', name: 'body.name', hostId: 'params.hostId', fromResult: { id: 'made.id' } };

  it('reads string fields of the request, and nothing else', () => {
    const req = request({ params: { hostId: 'h1' }, body: { name: { $ne: 1 } } });
    expect(resolveTarget(spec, { req, trusted: true })).toEqual({ type: 'vm', id: null, name: null, hostId: 'h1' });
  });

  it('leaves body and query out for a caller nobody identified', () => {
    const req = request({ params: { hostId: 'h1' }, body: { name: 'web' } });
    expect(resolveTarget(spec, { req, trusted: false })).toEqual({ type: 'vm', id: null, name: null, hostId: 'h1' });
  });

  it('lets the answer, then the handler, complete what the request named', () => {
    const req = request({ params: { hostId: 'h1' }, body: { name: 'web' } });
    expect(resolveTarget(spec, { req, trusted: true, result: { made: { id: 'vm-7' } } })).toEqual({
      type: 'vm',
      id: 'vm-7',
      name: 'web',
      hostId: 'h1',
    });
    expect(resolveTarget(spec, { req, trusted: true, named: { name: 'web (renamed)', hostId: undefined } })).toMatchObject({
      name: 'web (renamed)',
      hostId: 'h1',
    });
  });

  it('cuts overlong values (only a refused request carries one) and ignores inherited keys', () => {
    const req = request({ params: { hostId: 'x'.repeat(2000) }, body: Object.create({ name: 'inherited' }) as object });
    const target = resolveTarget(spec, { req, trusted: true });
    expect(target.hostId).toHaveLength(513);
    expect(target.name).toBeNull();
  });

  it('keeps the old default for routes that declare no target', () => {
    expect(resolveTarget(undefined, { req: request({ params: { id: 'x1' } }), trusted: true })).toEqual({ type: null, id: 'x1' });
  });

  it("checks a route's spec against its own schemas at compile time", () => {
    const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    const schema = {
      params: VmParams,
      body: Type.Object({ label: Type.String(), size: Type.Integer() }),
      response: { 201: CreatedToken, ...errorResponses },
    };
    app.post(
      '/a/:hostId/:name',
      { audit: { action: 'a', target: { type: 'vm', id: 'params.name', name: 'body.label', fromResult: { id: 'token.id' } } }, schema },
      async () => ({}) as never,
    );
    // @ts-expect-error -- no such param
    app.post('/b/:hostId/:name', { audit: { action: 'b', target: { type: 'vm', id: 'params.nam' } }, schema }, async () => ({}) as never);
    // @ts-expect-error -- not a string field
    app.post('/c/:hostId/:name', { audit: { action: 'c', target: { type: 'vm', id: 'body.size' } }, schema }, async () => ({}) as never);
    app.post(
      '/d/:hostId/:name',
      // @ts-expect-error -- not in the answer
      { audit: { action: 'd', target: { type: 'vm', fromResult: { id: 'token.secret' } } }, schema },
      async () => ({}) as never,
    );
    expect(app).toBeDefined();
  });
});

import type { AuditEntry } from '@mirador/contract';
import { describe, expect, test } from 'vitest';
import { i18n } from '$lib/i18n/index.svelte';
import { entryLabel, entryMatches, EMPTY_FILTERS, failureText, filtersFromParams, filtersToQuery, withOutcome } from './audit';

function entry(seq: number, over: Partial<AuditEntry>): AuditEntry {
  return {
    seq,
    id: `id-${seq}`,
    at: '2026-12-06T12:00:00.000Z',
    actor: { type: 'user', id: 'u1', name: 'admin' },
    sourceIp: '127.0.0.1',
    action: 'image.build',
    target: { type: 'image', id: 'x:1', name: 'x:1', hostId: 'h1' },
    params: null,
    result: 'ok',
    errorMessage: null,
    statusCode: null,
    durationMs: 5,
    prevHash: '0',
    hash: '1',
    ...over,
  };
}

describe('audit records read as what happened', () => {
  test('a task end reads as its outcome with the reason, in English and Spanish', () => {
    const failed = { action: 'task.image.build', result: 'error' as const, errorMessage: 'RUN false returned a non-zero code: 1' };
    i18n.locale = 'en';
    expect(entryLabel(failed)).toBe('Image build failed: RUN false returned a non-zero code: 1');
    expect(entryLabel({ ...failed, result: 'ok', errorMessage: null })).toBe('Image build succeeded');
    expect(entryLabel({ ...failed, result: 'cancelled', errorMessage: null })).toBe('Image build cancelled');
    expect(entryLabel({ ...failed, errorMessage: null })).toBe('Image build failed: no reason given');
    // The request is a request, not a success.
    expect(entryLabel({ action: 'image.build', result: 'accepted', errorMessage: null })).toBe('Requested an image build');
    i18n.locale = 'es';
    expect(entryLabel(failed)).toBe('Construcción de imagen fallida: RUN false returned a non-zero code: 1');
    expect(entryLabel({ action: 'image.build', result: 'accepted', errorMessage: null })).toBe('Solicitó construir una imagen');
    i18n.locale = 'en';
  });

  test("a failure recorded with a code reads in the reader's language; older records keep their English text", () => {
    const upload = {
      errorMessage: 'The upload of "a.raw" failed and the partial volume was deleted: The upload broke off after 5 of 9 bytes: aborted',
      errorCode: 'storage.uploadCutShort',
      errorParams: { name: 'a.raw', sent: 5, expected: 9 },
    };
    i18n.locale = 'es';
    expect(failureText(upload)).toBe('La subida de «a.raw» se cortó tras 5 de 9 bytes; se borró el volumen parcial');
    // A task end's reason is translated inside the outcome sentence too.
    expect(entryLabel({ action: 'task.vm.create', result: 'error', errorMessage: 'Interrupted', errorCode: 'task.interrupted' })).toMatch(
      /Mirador se detuvo/,
    );
    expect(failureText({ errorMessage: 'old English text', errorCode: undefined })).toBe('old English text');
    expect(failureText({ errorMessage: null })).toBeNull();
    i18n.locale = 'en';
    expect(failureText(upload)).toBe('The upload of "a.raw" stopped after 5 of 9 bytes; the partial volume was deleted');
  });

  test('a request to start or cancel a task is not mistaken for a task end', () => {
    expect(entryLabel({ action: 'task.selftest.start', result: 'accepted', errorMessage: null })).toBe('Started a self-test');
    expect(entryLabel({ action: 'task.cancel', result: 'ok', errorMessage: null })).toBe('Cancelled a task');
  });

  test('a task end pushed live completes the request that started it, once', () => {
    const request = entry(10, { result: 'accepted', statusCode: 202, taskId: 't-1', outcome: null });
    const other = entry(11, { result: 'accepted', statusCode: 202, taskId: 't-2', outcome: null });
    const end = entry(12, {
      action: 'task.image.build',
      result: 'error',
      errorMessage: 'boom',
      errorCode: 'task.failed',
      errorParams: { detail: 'boom' },
      taskId: 't-1',
    });
    const items = withOutcome([other, request], end);
    expect(items[1]!.outcome).toEqual({
      seq: 12,
      at: end.at,
      action: 'task.image.build',
      result: 'error',
      errorMessage: 'boom',
      errorCode: 'task.failed',
      errorParams: { detail: 'boom' },
    });
    expect(items[0]).toBe(other);
    expect(withOutcome(items, end)).toBe(items);
    // Not a task end: nothing to pair.
    const list = [request];
    expect(withOutcome(list, entry(13, { action: 'task.cancel', taskId: 't-1' }))).toBe(list);
  });

  test('filters take the new results and a task id, from the URL and to the query', () => {
    const f = filtersFromParams(new URLSearchParams('result=accepted&taskId=t-1'));
    expect(f).toMatchObject({ result: 'accepted', taskId: 't-1' });
    expect(filtersToQuery(f)).toMatchObject({ result: 'accepted', taskId: 't-1' });
    expect(filtersFromParams(new URLSearchParams('result=cancelled')).result).toBe('cancelled');
    expect(filtersFromParams(new URLSearchParams('result=bogus')).result).toBe('');
    expect(entryMatches(entry(1, { taskId: 't-1', result: 'accepted' }), { ...EMPTY_FILTERS, taskId: 't-1' })).toBe(true);
    expect(entryMatches(entry(1, { taskId: 't-2', result: 'accepted' }), { ...EMPTY_FILTERS, taskId: 't-1' })).toBe(false);
  });
});

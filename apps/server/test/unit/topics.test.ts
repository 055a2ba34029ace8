import { describe, expect, it } from 'vitest';
import { parseTopic, topics } from '@mirador/contract';

describe('realtime topics: built and parsed by the same contract code', () => {
  it('round-trips every kind', () => {
    expect(parseTopic(topics.task('t1'))).toEqual({ kind: 'task', taskId: 't1' });
    expect(parseTopic(topics.vmStats('h-1'))).toEqual({ kind: 'vm-stats', hostId: 'h-1' });
    expect(parseTopic(topics.containerStats('h-1', 'web.1'))).toEqual({ kind: 'container-stats', hostId: 'h-1', container: 'web.1' });
    for (const k of [topics.hosts, topics.tasks, topics.audit, topics.vms, topics.docker, topics.dockerFleet])
      expect(parseTopic(k)).toEqual({ kind: k });
  });
  it.each(['', 'task:', 'task:a:b', 'audit ', 'Audit', 'container-stats:h', 'container-stats:h:-x', 'vm-stats:../x', 'tasks:x', 'hosts\n'])(
    'refuses %j',
    (t) => {
      expect(parseTopic(t)).toBeNull();
    },
  );
});

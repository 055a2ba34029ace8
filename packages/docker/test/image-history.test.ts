import { describe, expect, it } from 'vitest';
import { hideBuildStepValues, hideHistoryValues } from '../src/index.js';

describe('hideHistoryValues', () => {
  it.each([
    // Classic builder, as `docker history --no-trunc` shows it.
    ['/bin/sh -c #(nop)  ENV DB_PASSWORD=x1secret MODE=lab', '/bin/sh -c #(nop)  ENV DB_PASSWORD=[hidden] MODE=[hidden]'],
    ['/bin/sh -c #(nop)  ENV LEGACY_KEY=value with blanks', '/bin/sh -c #(nop)  ENV LEGACY_KEY=[hidden]'],
    ['/bin/sh -c #(nop)  ENV OLD_STYLE some value', '/bin/sh -c #(nop)  ENV OLD_STYLE [hidden]'],
    ['/bin/sh -c #(nop)  ARG PLAIN=defaultval', '/bin/sh -c #(nop)  ARG PLAIN=[hidden]'],
    ['/bin/sh -c #(nop)  ARG TOKEN', '/bin/sh -c #(nop)  ARG TOKEN'],
    [
      '|2 PLAIN=defaultval TOKEN=abc123tok /bin/sh -c echo built > /built',
      '|2 PLAIN=[hidden] TOKEN=[hidden] /bin/sh -c echo built > /built',
    ],
    ['|1 TOKEN=a b c /bin/sh -c make', '|1 TOKEN=[hidden] /bin/sh -c make'],
    ['|2 A=one two B=x echo hi', '|2 A=[hidden] B=[hidden] echo hi'],
    ['|1 TOKEN= /bin/sh -c true', '|1 TOKEN=[hidden] /bin/sh -c true'],
    // BuildKit.
    ['ENV API_KEY=sk-abc', 'ENV API_KEY=[hidden]'],
    ['ARG TOKEN=abc', 'ARG TOKEN=[hidden]'],
    ['RUN |1 TOKEN=abc /bin/sh -c make # buildkit', 'RUN |1 TOKEN=[hidden] /bin/sh -c make # buildkit'],
    // Nothing to hide.
    ['/bin/sh -c #(nop)  LABEL a=b', '/bin/sh -c #(nop)  LABEL a=b'],
    ['/bin/sh -c echo ENV=1', '/bin/sh -c echo ENV=1'],
    ['', ''],
  ])('%s', (line, hidden) => {
    expect(hideHistoryValues(line)).toBe(hidden);
  });
});

describe('hideBuildStepValues', () => {
  it('hides build arguments and ENV/ARG values in a ContainerConfig.Cmd', () => {
    expect(hideBuildStepValues(['|2', 'PLAIN=d', 'TOKEN=abc', '/bin/sh', '-c', 'echo X=1'])).toEqual([
      '|2',
      'PLAIN=[hidden]',
      'TOKEN=[hidden]',
      '/bin/sh',
      '-c',
      'echo X=1',
    ]);
    expect(hideBuildStepValues(['/bin/sh', '-c', '#(nop) ', 'ENV DB_PASSWORD=x MODE=lab'])).toEqual([
      '/bin/sh',
      '-c',
      '#(nop) ',
      'ENV DB_PASSWORD=[hidden] MODE=[hidden]',
    ]);
    expect(hideBuildStepValues(['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]'])).toEqual(['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]']);
  });
});

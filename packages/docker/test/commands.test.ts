import { describe, expect, it } from 'vitest';
import { dockerCommands as c } from '../src/index.js';
import { validationError } from './helpers.js';

describe('dockerCommands', () => {
  it('renders container actions', () => {
    expect(c.action('start', 'web', {})).toBe('docker start web');
    expect(c.action('stop', 'web', { timeout: 10 })).toBe('docker stop -t 10 web');
    expect(c.action('restart', 'web', { timeout: 0 })).toBe('docker restart -t 0 web');
    expect(c.action('kill', 'web', { signal: 'hup' })).toBe('docker kill -s SIGHUP web');
    expect(c.action('kill', 'web', { signal: '9' })).toBe('docker kill -s 9 web');
    expect(c.action('pause', 'web', { timeout: 5 })).toBe('docker pause web');
    expect(c.action('unpause', 'web', {})).toBe('docker unpause web');
    expect(validationError(() => c.action('stop', 'web; rm -rf /', {})).field).toBe('id');
    expect(validationError(() => c.action('kill', 'web', { signal: 'TERM;id' })).field).toBe('signal');
  });

  it('renders container commands', () => {
    expect(c.rename('web', 'web2')).toBe('docker rename web web2');
    expect(c.rm('web', { force: true, volumes: true })).toBe('docker rm -f -v web');
    expect(c.rm('web')).toBe('docker rm web');
    expect(c.logs('web', { follow: true, tail: 500, timestamps: true })).toBe('docker logs -f --tail 500 -t web');
    expect(c.logs('web', { since: '2024-05-01T12:00:00Z', stderr: false })).toBe(
      'docker logs --since 2024-05-01T12:00:00Z web 2>/dev/null',
    );
    expect(c.logs('web', { stdout: false })).toBe('docker logs web 2>&1 >/dev/null');
    expect(c.top('web')).toBe('docker top web');
    expect(c.exec('web', ['/bin/sh'], { tty: true })).toBe('docker exec -it web /bin/sh');
    expect(c.exec('web', ['sh', '-c', 'echo $(id)'], { user: 'root', tty: false })).toBe("docker exec -u root web sh -c 'echo $(id)'");
    expect(c.attach('web')).toBe('docker attach web');
    expect(validationError(() => c.logs('web', { since: '$(id)' })).field).toBe('since');
    expect(validationError(() => c.exec('web', ['a\0'], {})).field).toBe('cmd[0]');
  });

  it('renders image commands', () => {
    expect(c.pull('nginx:1.27')).toBe('docker pull nginx:1.27');
    expect(c.tag('sha256:0123abcd', 'registry.lab:5000/course/web:1.0')).toBe(
      'docker tag sha256:0123abcd registry.lab:5000/course/web:1.0',
    );
    expect(c.push('registry.lab:5000/course/web:1.0')).toBe('docker push registry.lab:5000/course/web:1.0');
    expect(c.rmi('labbox', true)).toBe('docker rmi -f labbox');
    expect(c.imagePrune(false)).toBe('docker image prune -f');
    expect(c.imagePrune(true)).toBe('docker image prune -f -a');
    expect(c.load()).toBe('docker load -i images.tar');
    expect(c.import('rootfs:1')).toBe('docker import rootfs.tar rootfs:1');
    expect(c.save('labbox:latest')).toBe('docker save -o image.tar labbox:latest');
    expect(validationError(() => c.pull('Nginx')).field).toBe('image');
  });

  it('renders volume and network commands', () => {
    expect(
      c.volumeCreate({ name: 'data', driver: 'local', driverOpts: { type: 'tmpfs', device: 'tmpfs' }, labels: { team: 'lab 1' } }),
    ).toBe("docker volume create -d local -o type=tmpfs -o device=tmpfs --label 'team=lab 1' data");
    expect(c.volumeRm('data', true)).toBe('docker volume rm -f data');
    expect(c.volumePrune()).toBe('docker volume prune -f');
    expect(
      c.networkCreate({
        name: 'lab',
        driver: 'bridge',
        subnet: '172.30.0.0/24',
        gateway: '172.30.0.1',
        internal: true,
        attachable: true,
        icc: false,
      }),
    ).toBe(
      'docker network create -d bridge --subnet 172.30.0.0/24 --gateway 172.30.0.1 --internal --attachable -o com.docker.network.bridge.enable_icc=false lab',
    );
    expect(c.networkCreate({ name: 'lab', icc: true })).toBe('docker network create lab');
    expect(validationError(() => c.networkCreate({ name: 'lab', subnet: '172.30.0.0/33' })).field).toBe('subnet');
    expect(validationError(() => c.networkCreate({ name: 'lab', subnet: '10.0.0.0/8', gateway: 'x' })).field).toBe('gateway');
    expect(c.networkConnect('lab', 'web', ['api', 'www'])).toBe('docker network connect --alias api --alias www lab web');
    expect(c.networkDisconnect('lab', 'web', true)).toBe('docker network disconnect -f lab web');
    expect(c.networkRm('lab')).toBe('docker network rm lab');
  });

  it('never puts a password on the login line', () => {
    expect(c.login('registry.lab:5000', 'student')).toBe('docker login -u student registry.lab:5000');
    expect(c.login('ghcr.io', "o'brien")).toBe(`docker login -u 'o'\\''brien' ghcr.io`);
    expect(validationError(() => c.login('reg.lab; id', 'u')).field).toBe('serverAddress');
  });
});

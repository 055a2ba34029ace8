import type { RegistryTestResult } from '@mirador/contract';
import { dockerCommands } from '@mirador/docker';
import { badRequest } from '../lib/http-errors.js';
import { engineMessage } from './docker-errors.js';
import type { EnginePool } from './engine-pool.js';
import type { RegistryAuth } from './registries.service.js';

/** A registry that does not answer must not hold the request (and the form's spinner) for minutes. */
const LOGIN_TIMEOUT_MS = 20_000;

/**
 * "Test login": the chosen engine logs in to the registry exactly as `docker login` on that host
 * would (the engine's /auth), so the answer is the one a pull there will get. The registry is
 * reached from the engine, as pulls are; Mirador itself opens no connection to the address.
 * The password goes only into the engine's request: it is blanked out of every message returned.
 */
export async function tryRegistryLogin(engines: EnginePool, auth: RegistryAuth, hostId?: string): Promise<RegistryTestResult> {
  const hosts = await engines.hosts();
  const target = hostId ? hosts.find((h) => h.id === hostId) : (hosts.find((h) => h.transport === 'socket') ?? hosts[0]);
  if (!target) throw badRequest(hostId ? 'That host has no Docker engine' : 'No Docker engine to log in from: add one first', 'hostId');
  const { docker } = await engines.engine(target.id);
  const command = dockerCommands.login(auth.serveraddress, auth.username);
  const hide = (s: string) => (auth.password ? s.split(auth.password).join('********') : s);
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = (await Promise.race([
      docker.checkAuth({ username: auth.username, password: auth.password, serveraddress: auth.serveraddress }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${auth.serveraddress} did not answer within ${LOGIN_TIMEOUT_MS / 1000} s`)),
          LOGIN_TIMEOUT_MS,
        );
      }),
    ])) as { Status?: string } | undefined;
    return { ok: true, message: hide(answer?.Status || 'Login Succeeded'), hostId: target.id, hostName: target.name, command };
  } catch (err) {
    return { ok: false, message: hide(engineMessage(err)), hostId: target.id, hostName: target.name, command };
  } finally {
    clearTimeout(timer);
  }
}

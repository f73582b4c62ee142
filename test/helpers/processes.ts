// Whether a process is still running, seen from outside (by pid): how tests check that a host, a
// provider or a nats-server they did not spawn themselves has gone.
import { readFileSync } from 'node:fs';

/** Whether `pid` is a live process; one that has exited but is not reaped yet (a zombie) is not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

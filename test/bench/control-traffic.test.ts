// bench/control-traffic.ts: how `npm run bench -- apps` sorts the control messages it sees on the
// wire into commands, queries and pings.

import { describe, expect, it } from 'vitest';
import { controlClassOf, controlNameOf } from '../../bench/control-traffic.ts';
import { latticeSubjects } from '../../lattice/subjects.ts';

const HOST = 'NBDEJ7TRC2XMQLWBSNNRGYMQIASUIXSWZW4WTJAZKR4ZNSJ5G3TB3PFH';
const ctl = latticeSubjects('benchapps').ctl;

function sorted(subject: string): [string, string] {
  const operation = ctl.operationOf(subject);
  return [controlClassOf(operation), controlNameOf(operation)];
}

describe('bench/control-traffic.ts', () => {
  it('host commands and link changes are commands, named by their verb', () => {
    expect(sorted(ctl.launchActor(HOST))).toEqual(['command', 'la']);
    expect(sorted(ctl.stopActor(HOST))).toEqual(['command', 'sa']);
    expect(sorted(ctl.launchProvider(HOST))).toEqual(['command', 'lp']);
    expect(sorted(ctl.linkPut())).toEqual(['command', 'linkdefs_put']);
    expect(sorted(ctl.linkDel())).toEqual(['command', 'linkdefs_del']);
  });

  it('reads are queries, ping.hosts is a ping, anything else is unknown', () => {
    expect(sorted(ctl.hostInventory(HOST))).toEqual(['query', 'host_inventory']);
    expect(sorted(ctl.getLinks())).toEqual(['query', 'get_links']);
    expect(sorted(ctl.actorAuction())).toEqual(['query', 'auction_actor']);
    expect(sorted(ctl.ping())).toEqual(['ping', 'ping_hosts']);
    expect(sorted('wasmbus.ctl.benchapps.cmd.x.nonsense')).toEqual(['unknown', 'unknown']);
  });
});

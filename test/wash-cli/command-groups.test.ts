// main.ts registers only the command group a command line names and stubs the others for help
// (command-groups.ts): each stub must list exactly as the real group does, and the group a
// command line names must be found past global options.

import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { groupNamed } from '../../wash-cli/command-groups.ts';
import { buildProgram } from '../../wash-cli/main.ts';
import { runWash } from '../helpers/wash.ts';

describe('wash command groups', () => {
  it('finds the group past global options, and after help', () => {
    expect(groupNamed(['ctl', 'get', 'hosts'])).toBe('ctl');
    expect(groupNamed(['-o', 'json', 'keys', 'gen', 'module'])).toBe('keys');
    expect(groupNamed(['--output=json', 'par', 'inspect'])).toBe('par');
    expect(groupNamed(['help', 'app'])).toBe('app');
    expect(groupNamed(['--help'])).toBeUndefined();
    expect(groupNamed([])).toBeUndefined();
    // wash ctl's own groups, one level down.
    expect(groupNamed(['ctl', 'get', 'hosts', '-p', '4222'], 1)).toBe('get');
    expect(groupNamed(['-o', 'json', 'ctl', 'link', 'query'], 1)).toBe('link');
    expect(groupNamed(['ctl', 'help', 'start'], 1)).toBe('start');
    expect(groupNamed(['ctl', '--help'], 1)).toBeUndefined();
  });

  it('lists every stub as its real group: name, arguments and description', async () => {
    const listing = (program: Command) => {
      const help = program.createHelp();
      return program.commands.map((command) => [help.subcommandTerm(command), command.description()]);
    };
    const real = await buildProgram(['node', 'wash'], 'all');
    const stubbed = await buildProgram(['node', 'wash']);
    expect(listing(stubbed)).toEqual(listing(real));
    // The stubs really are stubs: no subcommands loaded.
    expect(stubbed.commands.find((command) => command.name() === 'ctl')?.commands).toEqual([]);
  });

  it("lists every stub of wash ctl's groups as the real group, and loads only the one named", async () => {
    const ctlOf = (program: Command) => program.commands.find((command) => command.name() === 'ctl')!;
    const listing = (ctl: Command) => {
      const help = ctl.createHelp();
      return ctl.commands.map((command) => [help.subcommandTerm(command), command.description()]);
    };
    const real = ctlOf(await buildProgram(['node', 'wash', 'ctl'], 'all'));
    const stubbed = ctlOf(await buildProgram(['node', 'wash', 'ctl']));
    expect(listing(stubbed)).toEqual(listing(real));
    const getHosts = ctlOf(await buildProgram(['node', 'wash', 'ctl', 'get', 'hosts']));
    const loaded = getHosts.commands.filter((command) => command.commands.length > 0).map((c) => c.name());
    expect(loaded).toEqual(['get']);
  });

  it('runs a command of a lazily loaded group, and help for one', async () => {
    const keys = await runWash(['-o', 'json', 'keys', 'gen', 'module']);
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout).public_key).toMatch(/^M[A-Z2-7]{55}$/);
    const ctlHelp = await runWash(['help', 'ctl']);
    expect(ctlHelp.stdout).toContain('wash ctl get hosts');
  });
});

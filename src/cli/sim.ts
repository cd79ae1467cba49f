import type { Command } from 'commander';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('start the provider simulator (every supported provider wire format on one port)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', (v) => Number.parseInt(v, 10), 8790)
    .action(async (opts: { host: string; port: number }) => {
      const { runSimCommand } = await import('../sim/index.js');
      await runSimCommand({ host: opts.host, port: opts.port });
    });
}

import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { startGateway } from '../server/gateway.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the gateway')
    .option('--config <file>', 'configuration file (default: $SWITCHBOARD_CONFIG, else ./switchboard.yaml, else built-in defaults)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 8787)', (v) => Number.parseInt(v, 10))
    .action(async (opts: { config?: string; host?: string; port?: number }) => {
      try {
        const loaded = loadConfig({ file: opts.config });
        const gateway = await startGateway({
          config: loaded.config,
          detectProviders: loaded.builtInDefaults,
          host: opts.host,
          port: opts.port,
        });
        const providers = [...gateway.registry.providers.keys()];
        console.log(`switchboard listening on ${gateway.url} (config: ${loaded.source}; providers: ${providers.length > 0 ? providers.join(', ') : 'none'})`);
        const stop = (signal: string) => {
          console.log(`switchboard: ${signal} received, draining in-flight requests`);
          gateway.close().then(
            () => process.exit(0),
            (err: unknown) => {
              console.error('switchboard: error while closing', err);
              process.exit(1);
            },
          );
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(`switchboard: ${err.message}`);
          process.exit(2);
        }
        throw err;
      }
    });
}

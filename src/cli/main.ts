import { Command } from 'commander';
import { registerAudit } from './audit.js';
import { registerBlock } from './block.js';
import { registerCatalog } from './catalog.js';
import { registerDemo } from './demo.js';
import { registerDrill } from './drill.js';
import { registerKeys } from './keys.js';
import { registerServe } from './serve.js';
import { registerSim } from './sim.js';

const program = new Command();
program
  .name('switchboard')
  .description('Open-weight-first LLM gateway')
  .version('0.1.0');

registerServe(program);
registerKeys(program);
registerSim(program);
registerDemo(program);
registerCatalog(program);
registerBlock(program);
registerDrill(program);
registerAudit(program);

await program.parseAsync(process.argv);

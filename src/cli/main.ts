#!/usr/bin/env node
// Entry of the kubectl plugin `kubectl cbbs` (bin/kubectl-cbbs from source, dist/cli/main.js built).
import { basename } from 'node:path';
import { cobraCompletions, runCli } from './app.ts';

const argv = process.argv.slice(2);
if (
  basename(process.argv[1] ?? '').startsWith('kubectl_complete-') ||
  process.env.CBBS_COBRA_COMPLETE === '1'
) {
  process.stdout.write(await cobraCompletions(argv));
} else {
  process.exitCode = await runCli(argv);
}

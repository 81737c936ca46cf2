#!/usr/bin/env node
// Entry of the kubectl plugin `kubectl cbbs` (bin/kubectl-cbbs from source, dist/cli/main.js built).
import { cobraCompletions, runCli } from './app.ts';

const argv = process.argv.slice(2);
if (process.env.CBBS_COBRA_COMPLETE === '1') process.stdout.write(await cobraCompletions(argv));
else process.exitCode = await runCli(argv);

// Entry of the single-file builds (esbuild bundle, Node single executable): CommonJS has no
// top-level await, so this is main.ts without it.
import { cobraCompletions, runCli } from './app.ts';

const argv = process.argv.slice(2);
if (process.env.CBBS_COBRA_COMPLETE === '1') {
  void cobraCompletions(argv).then((text) => process.stdout.write(text));
} else {
  void runCli(argv).then((code) => {
    process.exitCode = code;
  });
}

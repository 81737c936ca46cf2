/**
 * CLI: node src/emulator/main.ts --port 8097 --data-dir DIR [--profile 7.6] [--user admin:password]
 * [--time-scale N | --manual-clock] [--host 127.0.0.1] [--min-task-duration 3s]
 */
import { parseArgs } from 'node:util';
import type { EmulatorUser } from './auth.ts';
import { createEmulator } from './emulator.ts';
import { PROFILES, type Profile } from './model.ts';
import { parseDuration } from './routes/emulator-api.ts';

const HELP = `Couchbase Backup Service emulator

Usage: node src/emulator/main.ts --data-dir DIR [options]

  --data-dir DIR        where service state and cluster documents persist (required)
  --port N              port for /api/v1, /_p/backup/api/v1, /pools and /_emulator (default 8097; 0 = any)
  --host H              address to listen on (default 127.0.0.1)
  --profile P           server version to emulate: ${PROFILES.join(', ')} (default 7.6)
  --user NAME:PASS[:ROLES]  a user (repeatable; ROLES comma-separated, e.g. admin, backup_admin,
                        ro_admin, cluster_admin, security_admin_local; empty = none; default
                        admin); default admin:password. PUT /settings/rbac/users/local/NAME
                        changes users at run time
  --time-scale N        emulated seconds per real second (default 1)
  --manual-clock        time moves only through POST /_emulator/time/advance
  --min-task-duration D minimum time each task stays running, e.g. 3s, 500ms, 0 (default 3s;
                        longer with more data; emulated time, real time with --manual-clock)
  --help                this text
`;

function parseUser(spec: string): EmulatorUser {
  const [name, password, ...rest] = spec.split(':');
  const roles =
    rest.length === 0
      ? ['admin']
      : rest
          .join(':')
          .split(',')
          .filter((r) => r !== '');
  if (!name || password === undefined) {
    throw new Error(`invalid --user "${spec}" (want NAME:PASS[:ROLE[,ROLE…]])`);
  }
  return { name, password, roles };
}

/** Parses argv and starts the emulator; returns a stop function. */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string', default: '8097' },
      host: { type: 'string', default: '127.0.0.1' },
      profile: { type: 'string', default: '7.6' },
      user: { type: 'string', multiple: true },
      'time-scale': { type: 'string' },
      'manual-clock': { type: 'boolean', default: false },
      'min-task-duration': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('--data-dir is required (see --help)');
  if (!(PROFILES as readonly string[]).includes(values.profile))
    throw new Error(`unknown --profile ${values.profile}`);
  const port = Number(values.port);
  const scale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!(scale > 0)) throw new Error('--time-scale must be a positive number');
  const minTask = values['min-task-duration'];
  const minTaskDurationMs = minTask === undefined ? undefined : parseDuration(minTask);
  const emulator = await createEmulator({
    dataDir,
    port,
    host: values.host,
    profile: values.profile as Profile,
    clock: values['manual-clock'] ? { mode: 'manual' } : { mode: 'scaled', scale },
    ...(values.user === undefined ? {} : { users: values.user.map(parseUser) }),
    ...(minTaskDurationMs === undefined ? {} : { minTaskDurationMs }),
  });
  process.stdout.write(
    `backup service emulator (profile ${emulator.profile}) listening on ${emulator.url}\n`,
  );
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}

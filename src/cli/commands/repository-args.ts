import type { Argv } from 'yargs';
import { REPOSITORY_PATH_STATES, type RepositoryPathState } from '../../backup-api/index.ts';

/** Arguments of commands that address one repository. */
export interface RepositoryArgs {
  repository: string;
  service?: string | undefined;
  state?: RepositoryPathState | undefined;
}

/** `REPOSITORY` plus `--service` and `--state` for repositories no BackupRepository manages. */
export function repositoryArgs<T>(y: Argv<T>) {
  return y
    .positional('repository', {
      type: 'string',
      demandOption: true,
      describe: 'BackupRepository name (or, with --service, a repository id on the Backup Service)',
    })
    .option('service', {
      type: 'string',
      describe:
        'BackupService holding the repository: REPOSITORY is then a repository id no BackupRepository manages',
    })
    .option('state', {
      choices: REPOSITORY_PATH_STATES,
      describe: 'State of the repository on the service (default: from the BackupRepository, else active)',
    });
}

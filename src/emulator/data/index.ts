/**
 * The emulator's data layer: the emulated cluster's documents and the on-disk backup archives.
 * See contract.ts for the interface the service layer uses.
 */
export { openArchiveRepository } from './archive-repository.ts';
export { compareBackupNames, formatBackupName, nextBackupName, parseBackupName } from './backup-names.ts';
export { createClusterData } from './cluster-data.ts';
export * from './contract.ts';
export { DataError, isDataError } from './errors.ts';

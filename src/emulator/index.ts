/** Public entry of the Backup Service emulator. */
export type { EmulatorUser } from './auth.ts';
export type { ClockOptions, EmulatorClock } from './clock.ts';
export { createClock } from './clock.ts';
export { createEmulator, type Emulator, type EmulatorOptions } from './emulator.ts';
export type { FaultRule, FaultSettings, FaultSettingsInput, Faults } from './faults.ts';
export type { RequestLog, RequestLogEntry } from './request-log.ts';
export type { UserDirectory, UserRecord } from './users.ts';

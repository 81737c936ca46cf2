/**
 * Built-in plans (docs/backup-service-api.md §4.1). Only task names seen in the sources are certain; the rest of
 * the definitions (times, the 28-day merge, the 8.0 plans) are the emulator's choice.
 */
import type { Plan, Profile } from './model.ts';

const backup = (
  name: string,
  period: Plan['tasks'][number]['schedule']['period'],
  full: boolean,
  time?: string,
) => ({
  name,
  task_type: 'BACKUP' as const,
  schedule: { job_type: 'BACKUP' as const, frequency: 1, period, ...(time === undefined ? {} : { time }) },
  full_backup: full,
});

const merge = (
  name: string,
  frequency: number,
  period: Plan['tasks'][number]['schedule']['period'],
  time: string,
  offsetEnd: number,
) => ({
  name,
  task_type: 'MERGE' as const,
  schedule: { job_type: 'MERGE' as const, frequency, period, time },
  merge_options: { offset_start: 0, offset_end: offsetEnd },
  full_backup: false,
});

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The built-in plans of a profile, each with `default: true`. */
export function builtinPlans(profile: Profile): Plan[] {
  const plans: Plan[] = [
    {
      name: '_hourly_backups',
      description: 'Hourly incremental backups, merged every 6 hours and weekly',
      services: null,
      default: true,
      tasks: [
        backup('backup_hourly', 'HOURS', false),
        merge('merge_every_6_hours', 6, 'HOURS', '00:30', 0),
        merge('merge_week', 1, 'SUNDAY', '23:40', 7),
      ],
    },
    {
      name: '_daily_backups',
      description: 'Full backup on Monday, incremental on other days, weekly and 28-day merges',
      services: null,
      default: true,
      tasks: [
        ...DAYS.map((d) =>
          backup(
            `backup_${d}`,
            d.toUpperCase() as Plan['tasks'][number]['schedule']['period'],
            d === 'monday',
            '22:00',
          ),
        ),
        merge('merge_week', 1, 'SUNDAY', '23:40', 7),
        merge('merge_month', 4, 'WEEKS', '23:50', 28),
      ],
    },
  ];
  if (profile === '8.0') {
    plans.push(
      {
        name: '_daily_full_backups_with_incrementals',
        description: 'Daily full backup with hourly incrementals',
        services: null,
        default: true,
        tasks: [
          backup('backup_daily_full', 'DAYS', true, '00:00'),
          backup('backup_hourly_incr', 'HOURS', false),
        ],
      },
      {
        name: '_weekly_full_backups_with_incrementals',
        description: 'Weekly full backup with daily incrementals',
        services: null,
        default: true,
        tasks: [
          backup('backup_weekly_full', 'SUNDAY', true, '00:00'),
          backup('backup_daily_incr', 'DAYS', false, '00:00'),
        ],
      },
    );
  }
  return plans;
}

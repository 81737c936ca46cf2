/**
 * The per-partition bound of a work queue: at most `maxPerPartition` keys of one partition (for the
 * operator: one BackupService) handed out at once; the others wait, in arrival order, until a key
 * of their partition is done.
 */
export interface PartitionSlots {
  /** Counts `key` against its partition and returns true, or holds it (false) while the partition is full. */
  admit(key: string): boolean;
  /** Frees the slot of a handed-out key; its partition's held keys may go next. */
  release(key: string): void;
  /** The next held key whose partition has a free slot, if any (it then goes through `admit`). */
  takeReleasable(): string | undefined;
  /** Keys held now. */
  held(): number;
  clear(): void;
}

/** Creates {@link PartitionSlots}; `partitionOf` is read when a key is handed out, not when added. */
export function createPartitionSlots(
  partitionOf: (key: string) => string | undefined,
  maxPerPartition: number,
): PartitionSlots {
  /** The partition each handed-out key was counted against. */
  const countedIn = new Map<string, string>();
  const inFlight = new Map<string, number>();
  /** Keys waiting for a slot of their partition, in arrival order. */
  const waiting = new Map<string, string[]>();
  let heldCount = 0;
  /** Partitions with held keys that had a slot freed since they were last served. */
  const releasable = new Set<string>();
  const full = (partition: string): boolean => (inFlight.get(partition) ?? 0) >= maxPerPartition;

  return {
    admit(key) {
      // Read now, not when added: the object may have moved to another partition meanwhile.
      const partition = partitionOf(key);
      if (partition === undefined) return true;
      if (full(partition)) {
        const line = waiting.get(partition);
        if (line) line.push(key);
        else waiting.set(partition, [key]);
        heldCount++;
        return false;
      }
      countedIn.set(key, partition);
      inFlight.set(partition, (inFlight.get(partition) ?? 0) + 1);
      return true;
    },
    release(key) {
      const partition = countedIn.get(key);
      if (partition === undefined) return;
      countedIn.delete(key);
      const left = (inFlight.get(partition) ?? 1) - 1;
      if (left > 0) inFlight.set(partition, left);
      else inFlight.delete(partition);
      if (waiting.has(partition)) releasable.add(partition);
    },
    takeReleasable() {
      for (const partition of releasable) {
        const line = waiting.get(partition);
        if (!line || full(partition)) {
          // Empty, or the slot was taken: the next release() of the partition marks it again.
          releasable.delete(partition);
          continue;
        }
        const key = line.shift()!;
        heldCount--;
        if (line.length === 0) {
          waiting.delete(partition);
          releasable.delete(partition);
        }
        return key;
      }
      return undefined;
    },
    held: () => heldCount,
    clear() {
      waiting.clear();
      heldCount = 0;
      releasable.clear();
    },
  };
}

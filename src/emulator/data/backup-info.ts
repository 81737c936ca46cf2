import { join } from 'node:path';
import { type BackupManifest, directorySizes, encodeSegment } from './archive-store.ts';
import type { BackupBucketInfo, BackupInfo } from './contract.ts';

/**
 * The `/info` entry of one backup, built from what is on disk: counts from its manifest (written
 * from the documents actually stored), sizes from the files.
 */
export async function backupInfoFromDisk(repoDir: string, manifest: BackupManifest): Promise<BackupInfo> {
  const sizes = await directorySizes(join(repoDir, manifest.name));
  const buckets: BackupBucketInfo[] = manifest.buckets.map((b) => {
    let mutations = 0;
    let tombstones = 0;
    const scopes: BackupBucketInfo['scopes'] = {};
    for (const s of b.scopes) {
      let scopeMutations = 0;
      let scopeTombstones = 0;
      const collections: BackupBucketInfo['scopes'][string]['collections'] = {};
      for (const c of s.collections) {
        scopeMutations += c.mutations;
        scopeTombstones += c.tombstones;
        collections[String(c.uid)] = {
          id: c.uid,
          name: c.name,
          mutations: c.mutations,
          tombstones: c.tombstones,
        };
      }
      mutations += scopeMutations;
      tombstones += scopeTombstones;
      scopes[String(s.uid)] = {
        uid: s.uid,
        name: s.name,
        mutations: scopeMutations,
        tombstones: scopeTombstones,
        collections,
      };
    }
    return {
      name: b.name,
      size: sizes.perBucket.get(encodeSegment(b.name)) ?? 0,
      items: mutations + tombstones,
      mutations,
      tombstones,
      views_count: 0,
      fts_count: 0,
      index_count: 0,
      analytics_count: 0,
      scopes,
    };
  });
  const info: BackupInfo = {
    date: manifest.name,
    type: manifest.type,
    source: manifest.source,
    events: 0,
    fts_alias: 0,
    size: sizes.total,
    buckets,
    complete: true,
    source_cluster_uuid: manifest.source_cluster_uuid,
  };
  if (manifest.range !== undefined) info.range = [...manifest.range];
  return info;
}

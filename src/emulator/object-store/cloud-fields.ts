/**
 * The cloud fields of repository create and import (docs/backup-service-api.md §5.4, §5.6): each
 * required one missing gives its own 400, as Couchbase's REST tests expect of the service.
 */
import { isAbsolute } from 'node:path';
import { badRequest } from '../api-error.ts';
import type { CloudInfo } from '../model.ts';
import { optionalString } from '../validation.ts';
import type { ObjectStoreAccess } from './access.ts';

/** What create/import keep of the cloud fields: the public `cloud_info` and the private access. */
export interface CloudFields {
  info: CloudInfo;
  access: ObjectStoreAccess;
}

/** Validates the cloud fields of a create or import body for an object-store archive. */
export function validateCloudFields(body: Record<string, unknown>, archive: string): CloudFields {
  const staging = optionalString(body, 'cloud_staging_dir');
  const credentialName = optionalString(body, 'cloud_credential_name');
  const id = optionalString(body, 'cloud_credentials_id');
  const key = optionalString(body, 'cloud_credentials_key');
  const region = optionalString(body, 'cloud_region');
  const endpoint = optionalString(body, 'cloud_endpoint');
  const forcePathStyle = pathStyle(body.cloud_force_path_style);
  if (!staging) throw badRequest('cloud staging directory is required');
  if (!isAbsolute(staging)) throw badRequest('cloud staging directory must be an absolute path');
  if (credentialName && (id || key)) {
    throw badRequest('cloud credential name and cloud credentials id/key are mutually exclusive');
  }
  if (credentialName) {
    // Stored credentials (`/cloud/credentials`) exist only in the 2020 swagger; none are stored here.
    throw badRequest('cloud credentials not found', `no stored cloud credentials named ${credentialName}`);
  }
  if (!id) throw badRequest('cloud credentials id is required');
  if (!key) throw badRequest('cloud credentials key is required');
  if (!region) throw badRequest('cloud region is required');
  const info: CloudInfo = { staging_dir: staging, provider: providerOf(archive) };
  if (endpoint) info.endpoint = endpoint;
  if (forcePathStyle !== undefined) info.force_path_style = forcePathStyle;
  const access: ObjectStoreAccess = {
    accessKeyId: id,
    secretAccessKey: key,
    region,
    forcePathStyle: forcePathStyle ?? false,
    stagingDir: staging,
  };
  if (endpoint) access.endpoint = endpoint;
  return { info, access };
}

const providerOf = (archive: string): string =>
  archive.startsWith('az://') ? 'Azure' : archive.startsWith('gs://') ? 'GCP' : 'AWS';

// A JSON bool per the docs and couchbase-cli; the 2020 swagger types it as a string, so "true"/"false" too.
function pathStyle(v: unknown): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  throw badRequest('invalid request body', 'cloud_force_path_style must be a bool');
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const script = fileURLToPath(new URL('../../scripts/k8s-binaries.sh', import.meta.url));

/**
 * Directory holding kube-apiserver, etcd, kubectl and helm. Honours KUBEBUILDER_ASSETS; otherwise
 * the script builds the binaries once from the Go module proxy into a cache outside the repo.
 */
export async function kubernetesBinaries(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [script], {
    maxBuffer: 16 * 1024 * 1024,
    env: process.env,
  });
  const dir = stdout.trim().split('\n').at(-1);
  if (!dir) throw new Error(`${script} printed no directory`);
  return dir;
}

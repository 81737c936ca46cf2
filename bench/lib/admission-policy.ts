import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Runs a binary with `input` on stdin; resolves its stdout, rejects with its stderr. */
const run = (cmd: string, args: readonly string[], input = '') =>
  new Promise<string>((resolve, reject) => {
    const child = execFile(cmd, args, (err, out, errOut) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${errOut || err.message}`)) : resolve(out),
    );
    child.stdin?.end(input);
  });
const chartDir = join(import.meta.dirname, '../../deploy/helm/cbbs-operator');
const FINALIZER = 'cbbs.dev/finalizer';

/**
 * Installs what the chart installs on a cluster that serves mutating admission policies (1.36+):
 * its finalizer policy, bound to `namespace` (the chart with watchNamespaces = [namespace]), then
 * waits until the API server applies it (a dry-run create comes back with the finalizer).
 */
export async function installFinalizerPolicy(
  binDir: string,
  kubeconfig: string,
  namespace: string,
): Promise<void> {
  const manifests = await run(join(binDir, 'helm'), [
    'template',
    'bench',
    chartDir,
    '--api-versions',
    'admissionregistration.k8s.io/v1/MutatingAdmissionPolicy',
    '--set',
    `watchNamespaces={${namespace}}`,
    '--show-only',
    'templates/finalizer-policy.yaml',
  ]);
  const kubectl = (args: string[], input: string) =>
    run(join(binDir, 'kubectl'), [`--kubeconfig=${kubeconfig}`, ...args], input);
  await kubectl(['apply', '-f', '-'], manifests);
  const probe = JSON.stringify({
    apiVersion: 'cbbs.dev/v1alpha1',
    kind: 'BackupRepository',
    metadata: { name: 'admission-probe', namespace },
    spec: {
      serviceRef: { name: 'probe' },
      planRef: { name: 'probe' },
      storage: { filesystem: { path: '/probe' } },
    },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const admitted = JSON.parse(
      await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], probe),
    ) as {
      metadata: { finalizers?: string[] };
    };
    if (admitted.metadata.finalizers?.includes(FINALIZER)) return;
    if (Date.now() > deadline) throw new Error('the finalizer policy was not in force after 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

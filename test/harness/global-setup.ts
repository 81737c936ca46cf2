import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { kubernetesBinaries } from './binaries.ts';
import { type ControlPlane, reapOrphans, startControlPlane } from './control-plane.ts';
import { installCrds, readCrds } from './crds.ts';
import { kubeConfigFrom } from './kube.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kubeBinDir: string;
  }
}

const crdDir = fileURLToPath(new URL('../../deploy/crds', import.meta.url));

/**
 * Starts one kube-apiserver + etcd for the integration run, installs the CRDs from deploy/crds and
 * hands tests the kubeconfig. The returned teardown stops exactly what was started; signals and
 * uncaught failures stop it too.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  await reapOrphans();
  const binDir = await kubernetesBinaries();
  const plane: ControlPlane = await startControlPlane({
    binDir,
    keepDir: process.env.CBBS_KEEP_CONTROL_PLANE === '1',
  });
  // vitest exits on its own after a signal, possibly before an async stop() finished, so the
  // handlers kill synchronously.
  const killNow = () => plane.killNow();
  process.on('SIGINT', killNow);
  process.on('SIGTERM', killNow);
  process.on('exit', killNow);
  try {
    const crds = await readCrds(crdDir);
    await installCrds(kubeConfigFrom(plane.kubeconfigPath), crds);
  } catch (err) {
    await plane.stop();
    throw err;
  }
  process.env.KUBECONFIG = plane.kubeconfigPath;
  project.provide('kubeconfig', plane.kubeconfigPath);
  project.provide('kubeBinDir', binDir);
  if (process.env.CBBS_HARNESS_TIMING === '1') {
    console.log(`control plane ready in ${Date.now() - started} ms at ${plane.server}`);
  }
  return async () => {
    process.off('SIGINT', killNow);
    process.off('SIGTERM', killNow);
    process.off('exit', killNow);
    await plane.stop();
  };
}

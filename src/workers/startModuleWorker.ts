import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` beside the caller (`base` = its import.meta.url), in the caller's
 * flavour: compiled `.js` runs directly; under tsx (tests, `npm run bench`) the thread first registers tsx's loader,
 * since Node 20 workers do not inherit `--import tsx`.
 */
export function startModuleWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  const fromTs = base.endsWith('.ts');
  const entry = new URL(`./${name}.${fromTs ? 'ts' : 'js'}`, base);
  if (!fromTs) return new Worker(entry, options);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true, execArgv: [] });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './testService.js';

import { freePort } from '../../testing/freePort.js';

export { freePort };

export interface OrthancOptions {
  readonly dir: string;
  /** Modalities Orthanc may send to: name → [AE title, host, port]. */
  readonly modalities?: Readonly<Record<string, readonly [string, string, number]>>;
  /** Orthanc forwards every stored image of these modalities (e.g. CR, DX) to this modality name (Lua auto-routing). */
  readonly forwardTo?: { readonly modality: string; readonly modalities: readonly string[] };
}

/**
 * Debian's Orthanc, started by a test on loopback ports with its own temporary configuration and storage (the
 * DICOMweb plugin loaded), and stopped by it. `restart()` keeps storage and ports (for "PACS down" tests).
 */
export class TestOrthanc {
  httpPort = 0;
  dicomPort = 0;
  readonly aeTitle = 'ORTHANC';
  private process: ChildProcess | undefined;
  private output = '';
  private configPath = '';

  constructor(private readonly options: OrthancOptions) {}

  get base(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  async start(): Promise<void> {
    if (this.configPath === '') {
      this.httpPort = await freePort();
      this.dicomPort = await freePort();
      const storage = join(this.options.dir, 'storage');
      mkdirSync(storage, { recursive: true });
      const lua: string[] = [];
      if (this.options.forwardTo !== undefined) {
        const luaPath = join(this.options.dir, 'forward.lua');
        const wanted = this.options.forwardTo.modalities.map((m) => `["${m}"] = true`).join(', ');
        writeFileSync(luaPath, `local forward = { ${wanted} }
function OnStoredInstance(instanceId, tags, metadata, origin)
  if forward[tags['Modality']] then
    SendToModality(instanceId, '${this.options.forwardTo.modality}')
  end
end
`);
        lua.push(luaPath);
      }
      const config = {
        Name: 'drfds-test-orthanc',
        StorageDirectory: storage,
        IndexDirectory: storage,
        HttpPort: this.httpPort,
        DicomPort: this.dicomPort,
        DicomAet: this.aeTitle,
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        HttpServerEnabled: true,
        DicomServerEnabled: true,
        DicomCheckCalledAet: false,
        DicomAlwaysAllowStore: true,
        DicomAlwaysAllowEcho: true,
        OrthancExplorerEnabled: false,
        WebDavEnabled: false,
        HttpCompressionEnabled: false,
        SaveJobs: false,
        StableAge: 1,
        ConcurrentJobs: 2,
        Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
        DicomWeb: { Enable: true, Root: '/dicom-web/' },
        DicomModalities: this.options.modalities ?? {},
        LuaScripts: lua,
      };
      this.configPath = join(this.options.dir, 'orthanc.json');
      writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    }
    this.output = '';
    const child = spawn('Orthanc', [this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { this.output = (this.output + d.toString()).slice(-20_000); });
    child.stderr?.on('data', (d: Buffer) => { this.output = (this.output + d.toString()).slice(-20_000); });
    this.process = child;
    try {
      await waitFor('Orthanc to answer on its REST port', async () => {
        if (child.exitCode !== null) throw new Error(`Orthanc exited with ${child.exitCode}:\n${this.output}`);
        try {
          const response = await fetch(`${this.base}/system`);
          return response.ok ? true : undefined;
        } catch {
          return undefined;
        }
      }, 30_000, 100);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.base}${path}`);
    if (!response.ok) throw new Error(`Orthanc GET ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  async file(instanceId: string): Promise<Buffer> {
    const response = await fetch(`${this.base}/instances/${instanceId}/file`);
    if (!response.ok) throw new Error(`Orthanc GET file ${instanceId}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Every instance with its SOP Instance UID and Modality. */
  async instances(): Promise<Array<{ id: string; sopInstanceUid: string; modality: string; sopClassUid: string }>> {
    const ids = await this.get<string[]>('/instances');
    const out = [];
    for (const id of ids) {
      const tags = await this.get<Record<string, string>>(`/instances/${id}/simplified-tags`);
      out.push({ id, sopInstanceUid: tags.SOPInstanceUID ?? '', modality: tags.Modality ?? '', sopClassUid: tags.SOPClassUID ?? '' });
    }
    return out;
  }

  get log(): string {
    return this.output;
  }
}

import { readFile, rename, writeFile } from 'node:fs/promises';

/** One job of a queued file: fixed when the file is first queued, its id filled in once submitted. */
export interface RecordedJob {
  index: number;
  idempotencyKey: string;
  /** File line of each item, in item order. */
  lines: number[];
  /** The gateway's job id, once it accepted the submission. */
  id?: string;
  /** Its results were written to the result CSV and the state file. */
  finished?: boolean;
}

interface JobsFileV1 {
  version: 1;
  /** Jobs live in one gateway: following them through another would find nothing. */
  gatewayUrl: string;
  /** Digest of the CSV file the jobs were made from. */
  fileSha: string;
  jobSize: number;
  jobs: RecordedJob[];
}

export class JobsFileError extends Error {
  override name = 'JobsFileError';
}

/**
 * `<file.csv>.jobs.json`: the jobs a file was queued as. Written before the first submission, so
 * every rerun submits the same jobs under the same keys, and after each, so a rerun knows its id.
 */
export class JobsFile {
  private constructor(
    readonly path: string,
    private data: JobsFileV1,
  ) {}

  /** The recorded jobs, or undefined when the file was never queued. */
  static async read(path: string, gatewayUrl: string): Promise<JobsFile | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new JobsFileError(`cannot read ${path}: ${(error as Error).message}`);
    }
    let data: Partial<JobsFileV1>;
    try {
      data = JSON.parse(text) as Partial<JobsFileV1>;
    } catch {
      throw new JobsFileError(`${path} is not valid JSON; it records the jobs this file was queued as, so check it before moving it away`);
    }
    if (data.version !== 1 || !Array.isArray(data.jobs) || typeof data.fileSha !== 'string') throw new JobsFileError(`${path} is not a jobs file of this tool (version 1)`);
    if (data.gatewayUrl !== gatewayUrl) {
      throw new JobsFileError(`${path} records jobs queued at ${data.gatewayUrl}, not ${gatewayUrl}; pass --url ${data.gatewayUrl} to follow them`);
    }
    return new JobsFile(path, data as JobsFileV1);
  }

  static create(path: string, gatewayUrl: string, fileSha: string, jobSize: number, jobs: RecordedJob[]): JobsFile {
    return new JobsFile(path, { version: 1, gatewayUrl, fileSha, jobSize, jobs });
  }

  get fileSha(): string {
    return this.data.fileSha;
  }

  get jobs(): readonly RecordedJob[] {
    return this.data.jobs;
  }

  /** Replaces the plan; only before any job was accepted (the gateway asked for smaller jobs). */
  replan(jobSize: number, jobs: RecordedJob[]): void {
    if (this.data.jobs.some((job) => job.id)) throw new Error('cannot replan jobs that were submitted');
    this.data = { ...this.data, jobSize, jobs };
  }

  setId(index: number, id: string): void {
    this.data.jobs[index]!.id = id;
  }

  markFinished(id: string): void {
    for (const job of this.data.jobs) if (job.id === id) job.finished = true;
  }

  /** Submitted or not, whether some job's results are still to be collected. */
  get unfinished(): boolean {
    return this.data.jobs.some((job) => !job.finished);
  }

  /** Write-then-rename, as the state file does. */
  async save(): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(this.data)}\n`);
    await rename(temporary, this.path);
  }
}

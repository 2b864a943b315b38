import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Machine, renderMarkdown, type ScenarioOutput } from './report.ts';

/**
 * Puts the sections of a partial full-size run (`--only=… --into-results`) into the committed
 * bench/results.{md,json}, leaving every other scenario's numbers as they were. A section replaces the
 * one of the same title, or goes after the section of its number ("2b." after "2."). Each carries the
 * machine and date of its own run, since they differ from the file's header.
 */
export async function mergeResults(dir: string, info: Machine, outputs: ScenarioOutput[]): Promise<string[]> {
  const files = [join(dir, 'results.json'), join(dir, 'results.md')];
  const json = JSON.parse(await readFile(files[0]!, 'utf8')) as Record<string, unknown>;
  for (const o of outputs) json[o.key] = { ...(o.data as object), seconds: o.seconds, machine: info };
  let markdown = await readFile(files[1]!, 'utf8');
  for (const o of outputs) {
    const measured = `_Measured by \`npm run bench -- --only=${o.key} --into-results\` on ${info.date} (1-minute load average ${info.loadAverage})._`;
    const section = renderMarkdown(info, [{ ...o, notes: [...o.notes] }]).split('\n## ').slice(1).join('\n## ');
    const body = `## ${section.trimEnd()}\n\n${measured}\n`;
    const sections = markdown.split(/\n(?=## )/);
    const same = sections.findIndex((s) => s.startsWith(`## ${o.title}\n`));
    if (same >= 0) sections[same] = body;
    else {
      const number = /^(\d+)/.exec(o.title)?.[1];
      const after = sections.findIndex((s) => number !== undefined && s.startsWith(`## ${number}. `));
      sections.splice(after >= 0 ? after + 1 : sections.length, 0, body);
    }
    markdown = `${sections.map((s) => s.trimEnd()).join('\n\n')}\n`;
  }
  await writeFile(files[0]!, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(files[1]!, markdown);
  return files;
}

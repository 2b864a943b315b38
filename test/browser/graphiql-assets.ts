import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where yoga's default GraphiQL page loads its scripts, styles and editor workers from. */
export const CDN_ASSETS = /^https:\/\/unpkg\.com\/@graphql-yoga\/graphiql@[^/]+\/dist\/(.+)$/;

export interface LocalAsset {
  body: string;
  contentType: string;
}

/**
 * The same GraphiQL build, from `@graphql-yoga/render-graphiql` (which inlines it), keyed by the file
 * name the CDN page asks for. Undefined when that package is not installed. Tests never use the network.
 */
export async function localGraphiqlAssets(): Promise<Map<string, LocalAsset> | undefined> {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@graphql-yoga/render-graphiql');
  } catch {
    return undefined;
  }
  const bundle = (await import(pathToFileURL(join(dirname(entry), '..', 'esm', 'graphiql.js')).href)) as Record<string, string>;
  const js = 'application/javascript';
  const files: [string, string | undefined, string][] = [
    ['graphiql.css', bundle.css, 'text/css'],
    ['yoga-graphiql.umd.js', bundle.js, js],
    ['monacoeditorwork/editor.worker.bundle.js', bundle.editorWorkerService, js],
    ['monacoeditorwork/json.worker.bundle.js', bundle.jsonWorker, js],
    ['monacoeditorwork/graphql.worker..bundle.js', bundle.graphqlWorker, js],
  ];
  if (files.some(([, body]) => typeof body !== 'string')) return undefined;
  return new Map(files.map(([name, body, contentType]) => [name, { body: body!, contentType }]));
}

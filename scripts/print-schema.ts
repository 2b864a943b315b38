import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { schema } from '../src/schema/index.ts';

// graphql's printSchema drops applied directives; codegen and readers need @rateLimit to show.
const printed = `${printSchemaWithDirectives(schema).trim()}\n`;
const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));

if (process.argv.includes('--check')) {
  const committed = await readFile(target, 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql is stale: run `npm run schema` and commit the result.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date.');
} else {
  await writeFile(target, printed);
  console.log(`wrote ${target}`);
}

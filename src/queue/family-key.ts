import type { Family } from '../batcher/families.ts';

/** One string per family, for keys and maps: `instance` or `org:<id>`. */
export const familyKey = (family: Family) => (family.kind === 'instance' ? 'instance' : `org:${family.organizationId}`);

export function parseFamily(json: string): Family {
  const value = JSON.parse(json) as Family;
  return value.kind === 'organization' ? { kind: 'organization', organizationId: String(value.organizationId) } : { kind: 'instance' };
}
